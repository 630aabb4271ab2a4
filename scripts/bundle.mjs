// The CLI as few, small files as Node can load fastest:
//  - dist/carton.js: the CLI, one bundled CommonJS file;
//  - dist/validators.js: the precompiled schema validators (200 KB), loaded
//    only by commands that validate a config (create, run);
//  - dist/carton.js.cache: a V8 code cache of carton.js made after a real
//    run, so start-up skips parsing and compiling (bin/carton uses it when
//    V8 accepts it, and silently does without otherwise).
import { build } from 'esbuild';
import { execFileSync, execSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let commit = 'unknown';
try {
  commit = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] })
    .toString()
    .trim();
} catch {
  // not a git checkout
}

const generatedExternal = {
  name: 'validators-external',
  setup(b) {
    b.onResolve({ filter: /generated\/validators$/ }, () => ({ path: './validators.js', external: true }));
  },
};

// Two start-up costs of yargs that carton never uses, removed at bundle time
// (each measured at ~2-3 ms per command): it renders and caches the whole
// help text before running any command, and it creates process.stdout just
// to read the terminal width. Help is rendered on demand instead, and the
// width is read only then. A failed match fails the build, so a yargs
// update cannot silently drop the patch.
const yargsStartup = {
  name: 'yargs-startup',
  setup(b) {
    b.onLoad({ filter: /yargs[\\/]build[\\/]index\.cjs$/ }, async (args) => {
      let text = await readFile(args.path, 'utf8');
      const patches = [
        ['lMethods().getUsageInstance().cacheHelpMessage(),', 'lMethods().getUsageInstance(),'],
        [
          'stdColumns:void 0!==process.stdout.columns?process.stdout.columns:null}',
          'get stdColumns(){return void 0!==process.stdout.columns?process.stdout.columns:null}}',
        ],
      ];
      for (const [from, to] of patches) {
        if (!text.includes(from)) throw new Error(`yargs-startup: pattern not found in ${args.path}: ${from}`);
        text = text.replace(from, to);
      }
      return { contents: text, loader: 'js' };
    });
  },
};

// `import * as fs from 'fs'` in a CommonJS bundle becomes, in every file that
// says it, `__toESM(require("fs"))`: a fresh copy of the module with one
// getter defined per export (37 copies of fs, 19 of path). That cost ~10 ms
// of every command under Bun and ~1 ms under Node. carton never takes a
// default import of a builtin, so the namespace can be the module itself.
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
function dropBuiltinInterop(file) {
  const text = readFileSync(file, 'utf8');
  if (/import_(fs|path|os|child_process|net)\.default\b/.test(text))
    throw new Error(`${file}: a default import of a builtin; dropBuiltinInterop would break it`);
  writeFileSync(
    file,
    text.replace(/__toESM\(require\("([^"]+)"\)\)/g, (all, id) => (builtins.has(id) ? `require("${id}")` : all)),
  );
}

await build({
  entryPoints: ['src/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: 'dist/carton.js',
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  define: { CARTON_COMMIT: JSON.stringify(commit) },
  plugins: [generatedExternal, yargsStartup],
  alias: { assert: './scripts/assert-shim.cjs' },
  logLevel: 'warning',
});
dropBuiltinInterop('dist/carton.js');
copyFileSync('src/generated/validators.js', 'dist/validators.js');

// dist/carton: the shipped executable (what setup puts on PATH and engines
// run). The same CLI compiled by Bun (the @oven/bun-linux-x64 devDependency
// carries the Bun binary) into one executable with its code as precompiled
// bytecode: no Node, no parse or compile at start (README "Start-up" has the
// comparison with Node + code cache and a Node single-executable
// application). Bun's start-up grows with the code a command loads (~2 ms
// per 100 KiB here), so the executable holds several bundles and a command
// loads only its own:
//  - entry.js (src/standalone.ts): argv -> which bundle, a few KiB;
//  - hot-<command>.js for each command the fast parser takes (state, kill,
//    create, ...: src/hot.ts + that command's modules, nothing else);
//  - carton.js: the full CLI (yargs, help, every command), for the rest;
//  - yargs.js and validators.js (the schema validators: create, run,
//    update -r), loaded by the bundles that use them.
// It finds carton-init and carton.node in ../build/Release from its own path
// (src/paths.ts). .env and bunfig.toml are never read from the caller's
// directory (an engine runs carton in the bundle directory).
const sa = 'build/standalone';
rmSync(sa, { recursive: true, force: true });
const standaloneSplit = {
  name: 'standalone-split',
  setup(b) {
    b.onResolve({ filter: /generated\/validators$/ }, () => ({ path: './validators.js', external: true }));
    b.onResolve({ filter: /^yargs\/yargs$/ }, () => ({ path: './yargs.js', external: true }));
  },
};
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  define: { CARTON_COMMIT: JSON.stringify(commit), CARTON_STANDALONE: 'true' },
  alias: { assert: './scripts/assert-shim.cjs' },
};
await build({ ...common, entryPoints: ['src/main.ts'], outfile: `${sa}/carton.js`, plugins: [standaloneSplit] });
await build({
  ...common,
  entryPoints: ['src/standalone.ts'],
  outfile: `${sa}/entry.js`,
  plugins: [
    {
      name: 'standalone-entry',
      setup(b) {
        b.onResolve({ filter: /^\.\/(carton|hot-.*)\.js$/ }, (a) => ({ path: a.path, external: true }));
      },
    },
  ],
});
// the hot commands' names, from the fast parser itself
await build({ ...common, entryPoints: ['src/fastpath.ts'], outfile: `${sa}/fastpath.cjs` });
const { FAST_COMMANDS } = createRequire(import.meta.url)(`../${sa}/fastpath.cjs`);
rmSync(`${sa}/fastpath.cjs`);
const hot = FAST_COMMANDS.map((name) => `hot-${name}.js`);
for (const name of FAST_COMMANDS) {
  await build({
    ...common,
    stdin: {
      contents: `const { runHot } = require('./src/hot');\nconst { command } = require('./src/commands/${name}');\nmodule.exports = (args) => runHot(command, args);\n`,
      resolveDir: process.cwd(),
      loader: 'js',
    },
    outfile: `${sa}/hot-${name}.js`,
    plugins: [standaloneSplit],
  });
}
await build({
  ...common,
  stdin: { contents: "module.exports = require('yargs/yargs');", resolveDir: process.cwd(), loader: 'js' },
  outfile: `${sa}/yargs.js`,
  plugins: [yargsStartup],
});
copyFileSync('src/generated/validators.js', `${sa}/validators.js`);
for (const f of ['entry.js', 'carton.js', 'yargs.js', ...hot]) dropBuiltinInterop(`${sa}/${f}`);
const require = createRequire(import.meta.url);
const bun = join(dirname(require.resolve('@oven/bun-linux-x64/package.json')), 'bin', 'bun');
const embedded = ['./carton.js', './validators.js', './yargs.js', ...hot.map((f) => `./${f}`)];
rmSync('dist/carton', { force: true });
execFileSync(
  bun,
  [
    'build',
    '--compile',
    '--bytecode',
    '--minify',
    '--no-compile-autoload-dotenv',
    '--no-compile-autoload-bunfig',
    ...embedded.flatMap((f) => ['-e', f]),
    './entry.js',
    ...embedded,
    '--outfile',
    '../../dist/carton',
  ],
  { cwd: sa, stdio: ['ignore', 'ignore', 'inherit'] },
);
rmSync('dist/carton.js.cache', { force: true });
rmSync('dist/validators.js.cache', { force: true });
// Warm the cache with the paths every command takes (parse, dispatch, state).
try {
  execFileSync(process.execPath, ['bin/carton', '--root', '/nonexistent-carton-root', 'state', 'warm'], {
    env: { ...process.env, CARTON_WRITE_CODE_CACHE: '1' },
    stdio: 'ignore',
  });
} catch {
  // "container does not exist" is the expected answer; the cache is written at exit
}

// containerd-shim-carton-v2 (bin/containerd-shim-carton-v2.js loads it):
// dist/shim.js with its protobuf types inlined, and a code cache warmed by a
// `start` that fails early (no bundle), which still compiles flag parsing,
// the protobuf root and the start path. The serving shim's lifecycle worker
// threads load dist/shim-worker.js (bin/containerd-shim-carton-worker.js),
// the library without the transport. Both are minified but for names (so
// stack traces in the shim's log still name functions): every isolate keeps
// its script's source as a string, one per live worker too (README "Pods").
if (existsSync('src/shim/entry.ts')) {
  const shimBuild = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: false,
    legalComments: 'none',
    define: { CARTON_COMMIT: JSON.stringify(commit) },
    // the validators stay in dist/validators.js, loaded by the first Create only
    plugins: [generatedExternal],
    logLevel: 'warning',
  };
  await build({ ...shimBuild, entryPoints: ['src/shim/entry.ts'], outfile: 'dist/shim.js' });
  await build({ ...shimBuild, entryPoints: ['src/shim/worker-entry.ts'], outfile: 'dist/shim-worker.js' });
  dropBuiltinInterop('dist/shim.js');
  dropBuiltinInterop('dist/shim-worker.js');
  rmSync('dist/shim.js.cache', { force: true });
  try {
    execFileSync(
      process.execPath,
      [
        'bin/containerd-shim-carton-v2.js',
        '-namespace',
        'warm',
        '-address',
        '/nonexistent',
        '-id',
        'warm',
        '-bundle',
        '/nonexistent-carton-bundle',
        'start',
      ],
      {
        env: { ...process.env, CARTON_WRITE_CODE_CACHE: '1' },
        stdio: 'ignore',
      },
    );
  } catch {
    // the expected failure: no config.json; the cache is written at exit
  }
}
