// ESLint: typescript-eslint's type-aware recommended rules over src/, test/
// and bench/ (the files tsconfig.json type-checks). Rules turned off say why.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['src/generated/**', 'dist/**', 'build/**', 'node_modules/**', 'bundles/**', '.tap/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Unused names are tsc's job (noUnusedLocals, noUnusedParameters); one report is enough.
      '@typescript-eslint/no-unused-vars': 'off',
      // Commands and the shim load their modules lazily with require() so a
      // command pays only for what it runs (cli.ts, startup time); each such
      // require is typed `as typeof import(...)`.
      '@typescript-eslint/no-require-imports': 'off',
      // Messages interpolate numbers, bigints and unions of them; String() at
      // every site would add noise, not safety (objects are still caught by
      // no-base-to-string).
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true, allowAny: false, allowRegExp: true },
      ],
    },
  },
  {
    // The shim's messages are protobufjs objects decoded from containerd's
    // .proto files at run time (src/shim/ttrpc/proto.ts): protobufjs types
    // them as `any`, and the shim reads their fields by name. Until the
    // generated JSON also yields TypeScript types, every read of a request
    // field would be reported; the field names are checked against the
    // .proto by the shim's tests instead.
    files: ['src/shim/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // tap queues t.test() subtests itself and ends a test when its
      // callback's promise settles; awaiting each t.test() changes nothing.
      '@typescript-eslint/no-floating-promises': 'off',
      // tap's convention (and this suite's) is an async callback for every
      // test, with or without an await inside.
      '@typescript-eslint/require-await': 'off',
      // Tests parse the CLI's and the shim's JSON output and assert on its
      // fields: a wrong shape fails the assertion that reads it.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Plain-JS build scripts and bin loaders: no type information for them.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        __dirname: 'readonly',
        URL: 'readonly',
      },
    },
  },
);
