// The CLI as few, small files as Node can load fastest:
//  - dist/carton.js: the CLI, one bundled CommonJS file;
//  - dist/validators.js: the precompiled schema validators (200 KB), loaded
//    only by commands that validate a config (create, run);
//  - dist/carton.js.cache: a V8 code cache of carton.js made after a real
//    run, so start-up skips parsing and compiling (bin/carton uses it when
//    V8 accepts it, and silently does without otherwise).
import { build } from 'esbuild';
import { execFileSync, execSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let commit = 'unknown';
try {
  commit = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
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
        ['stdColumns:void 0!==process.stdout.columns?process.stdout.columns:null}', 'get stdColumns(){return void 0!==process.stdout.columns?process.stdout.columns:null}}'],
      ];
      for (const [from, to] of patches) {
        if (!text.includes(from)) throw new Error(`yargs-startup: pattern not found in ${args.path}: ${from}`);
        text = text.replace(from, to);
      }
      return { contents: text, loader: 'js' };
    });
  },
};

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
copyFileSync('src/generated/validators.js', 'dist/validators.js');

// dist/carton: the shipped executable (what setup puts on PATH and engines
// run). The same CLI bundled once more with the validators inlined, then
// compiled by Bun (the @oven/bun-linux-x64 devDependency carries the Bun
// binary) to one executable with its code as precompiled bytecode: no Node,
// no parse or compile at start (README "Start-up" has the comparison with
// Node + code cache and a Node single-executable application). It finds
// carton-init and carton.node in ../build/Release from its own path
// (src/paths.ts). .env and bunfig.toml are never read from the caller's
// directory (an engine runs carton in the bundle directory).
await build({
  entryPoints: ['src/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: 'build/carton-standalone.js',
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  define: { CARTON_COMMIT: JSON.stringify(commit), CARTON_STANDALONE: 'true' },
  plugins: [yargsStartup],
  alias: { assert: './scripts/assert-shim.cjs' },
  logLevel: 'warning',
});
const require = createRequire(import.meta.url);
const bun = join(dirname(require.resolve('@oven/bun-linux-x64/package.json')), 'bin', 'bun');
rmSync('dist/carton', { force: true });
execFileSync(bun, ['build', '--compile', '--bytecode', '--minify', '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig',
  'build/carton-standalone.js', '--outfile', 'dist/carton'], { stdio: ['ignore', 'ignore', 'inherit'] });
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
// the protobuf root and the start path.
if (existsSync('src/shim/entry.ts')) {
  await build({
    entryPoints: ['src/shim/entry.ts'],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: 'dist/shim.js',
    minify: false,
    sourcemap: false,
    legalComments: 'none',
    define: { CARTON_COMMIT: JSON.stringify(commit) },
    // the validators stay in dist/validators.js, loaded by the first Create only
    plugins: [generatedExternal],
    logLevel: 'warning',
  });
  rmSync('dist/shim.js.cache', { force: true });
  try {
    execFileSync(process.execPath, ['bin/containerd-shim-carton-v2.js', '-namespace', 'warm', '-address', '/nonexistent', '-id', 'warm', '-bundle', '/nonexistent-carton-bundle', 'start'], {
      env: { ...process.env, CARTON_WRITE_CODE_CACHE: '1' },
      stdio: 'ignore',
    });
  } catch {
    // the expected failure: no config.json; the cache is written at exit
  }
}
