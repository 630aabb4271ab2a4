// Bundled by esbuild into dist/carton.js; bin/carton loads that.
import { run } from './cli';

run(process.argv.slice(2));
