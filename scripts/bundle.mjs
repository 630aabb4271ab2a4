// One bundled CommonJS file for the CLI: Node loads one file instead of
// hundreds, which is most of the start-up time a TypeScript CLI can save.
import { build } from 'esbuild';
import { execSync } from 'node:child_process';

let commit = 'unknown';
try {
  commit = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
} catch {
  // not a git checkout
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
  logLevel: 'warning',
});
