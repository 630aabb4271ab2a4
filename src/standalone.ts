// The entry of the shipped executable dist/carton (scripts/bundle.mjs). It
// decides from argv alone which of the executable's bundles runs, because
// the runtime's start-up grows with the code it loads: a command line the
// fast parser understands fully (fastpath.ts) goes to that command's own
// small bundle (hot.ts: hot-state.js, hot-kill.js, ...); anything else (help,
// --version, exec, spec, unknown or repeated flags, wrong argument counts)
// goes to the full CLI, carton.js (cli.ts), which explains usage errors
// exactly as before. Both parse the same argv with the same fastParse, so
// the choice never changes what a command does.
import type { Args } from './commands/types';
import { defaultRoot, fastParse } from './fastpath';

const argv = process.argv.slice(2);
// help for a hot command (`ps c1 --help`) is the full CLI's (help.ts)
const fast = argv.includes('-h') || argv.includes('--help') ? null : fastParse(argv, defaultRoot());
// (a name, not a literal, so that esbuild leaves the require to the executable)
const bundle = fast ? `./hot-${fast.command}.js` : './carton.js';
const hot = require(bundle) as (a: Args) => void;
if (fast) hot(fast.args);
