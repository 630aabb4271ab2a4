// Bundled by esbuild into dist/carton.js (bin/carton, the Node entry, loads
// that) and compiled by Bun into the executable dist/carton (scripts/bundle.mjs).
import { run } from './cli';

run(process.argv.slice(2));
