// carton's entry point: global options (which, as with runc, come before the
// subcommand), then one file per subcommand in commands/. Subcommand bodies
// are loaded only when run, so `state` never pays for the validator.
import * as fs from 'fs';
import { CartonError, UsageError } from './errors';
import { finish } from './finish';
import { configureLog } from './log';
import type { Args, Command } from './commands/types';
import { defaultRoot, fastParse } from './fastpath';
import { helpFor } from './help';
import { splitExecArgv } from './commands/exec';

declare const CARTON_COMMIT: string;
const VERSION = '0.1.0';
const SPEC_VERSION = '1.3.0';

const COMMANDS: Record<string, () => Command> = {
  create: () => (require('./commands/create') as typeof import('./commands/create')).command,
  start: () => (require('./commands/start') as typeof import('./commands/start')).command,
  run: () => (require('./commands/run') as typeof import('./commands/run')).command,
  state: () => (require('./commands/state') as typeof import('./commands/state')).command,
  kill: () => (require('./commands/kill') as typeof import('./commands/kill')).command,
  delete: () => (require('./commands/delete') as typeof import('./commands/delete')).command,
  list: () => (require('./commands/list') as typeof import('./commands/list')).command,
  spec: () => (require('./commands/spec') as typeof import('./commands/spec')).command,
  pause: () => (require('./commands/pause') as typeof import('./commands/pause')).command,
  resume: () => (require('./commands/resume') as typeof import('./commands/resume')).command,
  ps: () => (require('./commands/ps') as typeof import('./commands/ps')).command,
  update: () => (require('./commands/update') as typeof import('./commands/update')).command,
  events: () => (require('./commands/events') as typeof import('./commands/events')).command,
  exec: () => (require('./commands/exec') as typeof import('./commands/exec')).command,
  features: () => (require('./commands/features') as typeof import('./commands/features')).command,
  checkpoint: () => (require('./commands/checkpoint') as typeof import('./commands/checkpoint')).command,
  restore: () => (require('./commands/restore') as typeof import('./commands/restore')).command,
};

function versionText(): string {
  const commit = typeof CARTON_COMMIT === 'string' ? CARTON_COMMIT : 'unknown';
  return `carton version ${VERSION}\ncommit: ${commit}\nspec: ${SPEC_VERSION}\n`;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
    fs.writeSync(1, versionText());
    return 0;
  }
  // go-runc spells restore's flag "-no-subreaper" (one dash).
  argv = argv.map((x) => (x === '-no-subreaper' ? '--no-subreaper' : x));
  const help = helpFor(argv, COMMANDS, defaultRoot, versionText);
  if (help !== null) {
    fs.writeSync(1, help);
    return 0;
  }
  const fast = fastParse(argv, defaultRoot());
  const fastCommand = fast && COMMANDS[fast.command];
  if (fast && fastCommand) {
    configureLog({
      file: fast.args.log,
      format: fast.args.logFormat === 'json' ? 'json' : 'text',
      debug: fast.args.debug,
    });
    return fastCommand().run(fast.args);
  }
  const { y, action } = await parseWithYargs(argv);
  const parsed = y.parsed;
  configureLog({
    file: parsed.log,
    format: parsed.logFormat === 'json' ? 'json' : 'text',
    debug: Boolean(parsed.debug),
  });
  if (parsed.version) {
    fs.writeSync(1, versionText());
    return 0;
  }
  if (parsed.help) return 0;
  if (!action) {
    if (parsed._.length === 0) {
      y.yargs.showHelp((s) => fs.writeSync(1, s + '\n'));
      return 0;
    }
    throw new CartonError(`No help topic for '${parsed._[0]}'`, { kind: 'usage', exitCode: 3 });
  }
  return action();
}

/**
 * The full parser. Returns what yargs parsed and the chosen command's action
 * (not yet run), so the fast path's tests can compare the two parsers.
 */
export async function parseWithYargs(argv: string[]) {
  const yargs = require('yargs/yargs') as typeof import('yargs/yargs');
  let action: (() => number | Promise<number>) | undefined;
  let chosen: Args | undefined;
  // exec's command after the container id is not ours to parse (commands/exec.ts).
  const y = yargs(splitExecArgv(argv)?.head ?? argv)
    .scriptName('carton')
    .usage('carton [global options] <command> [command options] <container-id>')
    .parserConfiguration({
      'camel-case-expansion': true,
      'strip-aliased': true,
      'halt-at-non-option': false,
      'boolean-negation': false,
    })
    .option('root', {
      type: 'string',
      default: defaultRoot(),
      describe: 'root directory for storage of container state',
    })
    .option('log', { type: 'string', describe: 'set the log file to write carton logs to (default is stderr)' })
    .option('log-format', {
      type: 'string',
      choices: ['text', 'json'],
      default: 'text',
      describe: 'set the log format',
    })
    .option('debug', { type: 'boolean', default: false, describe: 'enable debug logging' })
    .option('systemd-cgroup', { type: 'boolean', default: false, describe: 'enable systemd cgroup support' })
    .option('rootless', {
      type: 'string',
      default: 'auto',
      describe: 'ignore cgroup permission errors (true, false, or auto); after `spec`: generate a rootless config',
    })
    .option('cgroup-manager', {
      type: 'string',
      hidden: true,
      describe: 'accepted for podman; only "cgroupfs" is meaningful',
    })
    .option('criu', {
      type: 'string',
      default: 'criu',
      describe: 'path to the criu binary used for checkpoint and restore',
    })
    .version(false)
    .option('version', { alias: 'v', type: 'boolean', describe: 'print the version' })
    .strictOptions()
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
  // yargs renders and caches the whole help text on every command it runs
  // when help is enabled; only enable it when help is asked for.
  const wantsHelp = argv.some((x) => x === '--help' || x === '-h') || argv[0] === 'help';
  if (wantsHelp) y.help('help').alias('help', 'h');
  else y.help(false);
  for (const load of Object.values(COMMANDS)) {
    const c = load();
    y.command(c.command, c.describe, c.builder ?? ((b) => b), (a) => {
      const args = {
        ...(a as unknown as Args),
        rawArgv: argv,
        rootExplicit: argv.some((x) => x === '--root' || x.startsWith('--root=')),
      };
      chosen = args;
      action = () => c.run(args);
    });
  }
  y.command(
    'help',
    'shows a list of commands or help for one command',
    (b) => b,
    () => {
      action = () => {
        y.showHelp((s) => fs.writeSync(1, s + '\n'));
        return 0;
      };
    },
  );
  const parsed = (await y.parseAsync()) as unknown as Args;
  return { y: { yargs: y, parsed }, action, chosen };
}

/** Compile what `create` needs beyond the fast path: yargs and the config validator. */
async function warmCodeCache(): Promise<void> {
  await parseWithYargs(['--root', '/nonexistent', 'list', '--bogus']).catch(() => undefined);
  const { validateConfig } = require('./spec/validate') as typeof import('./spec/validate');
  const { exampleSpec } = require('./spec/defaults') as typeof import('./spec/defaults');
  validateConfig(exampleSpec());
}

function logFromArgv(argv: string[]): void {
  // Errors found while parsing still go to --log in the right format.
  const get = (name: string) => {
    const i = argv.findIndex((x) => x === name || x.startsWith(name + '='));
    const x = argv[i];
    if (x === undefined) return undefined;
    return x.includes('=') ? x.slice(name.length + 1) : argv[i + 1];
  };
  configureLog({
    file: get('--log'),
    format: get('--log-format') === 'json' ? 'json' : 'text',
    debug: argv.includes('--debug'),
  });
}

export function run(argv: string[]): void {
  logFromArgv(argv);
  // Building the V8 code cache (scripts/bundle.mjs): compile the yargs path
  // too, so commands the fast path does not take start from cached code.
  const warm = process.env.CARTON_WRITE_CODE_CACHE ? warmCodeCache() : Promise.resolve();
  finish(warm.then(() => main(argv)));
}
