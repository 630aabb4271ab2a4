// Help in runc's (urfave/cli's) layout: NAME, USAGE, VERSION, COMMANDS,
// GLOBAL OPTIONS for `carton help` / `carton -h` / `carton`, and NAME,
// USAGE, OPTIONS for `carton CMD -h` / `carton help CMD`. Scripts grep these
// sections of runc's help, so the headings and the one-line "name - what"
// are kept; the options are read from each command's own yargs builder.
import type { Argv } from 'yargs';
import { CartonError } from './errors';
import { splitExecArgv } from './commands/exec';
import type { Command } from './commands/types';

/** runc 1.1.5's USAGE arguments per command (evidence/runc-1.1.5-help.txt). */
const USAGE: Record<string, string> = {
  checkpoint: '[command options] <container-id>',
  create: '[command options] <container-id>',
  delete: '[command options] <container-id>',
  events: '[command options] <container-id>',
  exec: '[command options] <container-id> <command> [command options]  || -p process.json <container-id>',
  kill: '[command options] <container-id> [signal]',
  list: '[command options]',
  pause: '<container-id>',
  ps: '[command options] <container-id> [ps options]',
  restore: '[command options] <container-id>',
  resume: '<container-id>',
  run: '[command options] <container-id>',
  spec: '[command options] [arguments...]',
  start: '<container-id>',
  state: '<container-id>',
  update: '[command options] <container-id>',
  features: '[arguments...]',
};

interface Opt {
  name: string;
  alias?: string | string[];
  type?: string;
  describe?: string;
  default?: unknown;
  hidden?: boolean;
}

/** The options a builder declares, without running yargs: a recorder stands in for it. */
function optionsOf(builder: Command['builder']): Opt[] {
  const opts: Opt[] = [];
  const rec: Record<string, unknown> = {};
  const proxy: unknown = new Proxy(rec, {
    get: (_, key) => {
      if (key === 'option' || key === 'options')
        return (name: string | Record<string, object>, o?: object) => {
          if (typeof name === 'string') opts.push({ name, ...(o as object) });
          else for (const [n, v] of Object.entries(name)) opts.push({ name: n, ...v });
          return proxy;
        };
      return () => proxy;
    },
  });
  builder?.(proxy as Argv);
  return opts.filter((o) => !o.hidden);
}

function optionLines(opts: Opt[]): string {
  const heads = opts.map((o) => {
    const value = o.type === 'boolean' ? '' : ' value';
    const aliases = ([] as string[]).concat(o.alias ?? []).map((a) => (a.length === 1 ? `-${a}` : `--${a}`) + value);
    return [`--${o.name}${value}`, ...aliases].join(', ');
  });
  const w = Math.max(...heads.map((h) => h.length));
  return opts
    .map((o, i) => {
      const def =
        o.default !== undefined && o.default !== '' && o.default !== false && o.type !== 'boolean'
          ? ` (default: ${JSON.stringify(o.default)})`
          : '';
      return `   ${(heads[i] ?? '').padEnd(w)}  ${o.describe ?? ''}${def}`.trimEnd();
    })
    .join('\n');
}

export const GLOBAL_OPTIONS: Opt[] = [
  { name: 'debug', type: 'boolean', describe: 'enable debug logging' },
  { name: 'log', type: 'string', describe: "set the log file to write carton logs to (default is '/dev/stderr')" },
  { name: 'log-format', type: 'string', describe: "set the log format ('text' (default), or 'json')", default: 'text' },
  {
    name: 'root',
    type: 'string',
    describe: 'root directory for storage of container state (this should be located in tmpfs)',
  },
  {
    name: 'criu',
    type: 'string',
    describe: 'path to the criu binary used for checkpoint and restore',
    default: 'criu',
  },
  {
    name: 'systemd-cgroup',
    type: 'boolean',
    describe:
      'enable systemd cgroup support, expects cgroupsPath to be of form "slice:prefix:name" for e.g. "system.slice:carton:434234"',
  },
  {
    name: 'rootless',
    type: 'string',
    describe: "ignore cgroup permission errors ('true', 'false', or 'auto')",
    default: 'auto',
  },
  { name: 'help', alias: 'h', type: 'boolean', describe: 'show help' },
  { name: 'version', alias: 'v', type: 'boolean', describe: 'print the version' },
];

export function rootHelp(commands: Record<string, () => Command>, version: string, root: string): string {
  const names = [...Object.keys(commands), 'help, h'];
  const w = Math.max(...names.map((n) => n.length));
  const describe = (n: string) =>
    n === 'help, h' ? 'Shows a list of commands or help for one command' : (commands[n]?.().describe ?? '');
  const globals = GLOBAL_OPTIONS.map((o) => (o.name === 'root' ? { ...o, default: root } : o));
  return [
    'NAME:',
    '   carton - Open Container Initiative runtime',
    '',
    'carton is a command line client for running applications packaged according to',
    'the Open Container Initiative (OCI) format, a drop-in replacement for runc.',
    '',
    'USAGE:',
    '   carton [global options] command [command options] [arguments...]',
    '',
    'VERSION:',
    ...version
      .trimEnd()
      .split('\n')
      .map((l, i) => (i === 0 ? `   ${l.replace(/^carton version /, '')}` : l)),
    '',
    'COMMANDS:',
    ...names.map((n) => `   ${n.padEnd(w)}  ${describe(n)}`),
    '',
    'GLOBAL OPTIONS:',
    optionLines(globals),
    '',
  ].join('\n');
}

export function commandHelp(name: string, c: Command): string {
  const opts = optionsOf(c.builder);
  return [
    'NAME:',
    `   carton ${name} - ${c.describe}`,
    '',
    'USAGE:',
    `   carton ${name} ${USAGE[name] ?? '[command options] [arguments...]'}`,
    '',
    ...(opts.length ? ['OPTIONS:', optionLines(opts), ''] : []),
  ].join('\n');
}

/** Global options that take a value (they come before the subcommand). */
const GLOBAL_VALUE = new Set(['--root', '--log', '--log-format', '--rootless', '--cgroup-manager', '--criu']);

/**
 * If argv asks for help, its text; null otherwise. An unknown command is
 * runc's error and exit status 3 ("No help topic for 'foo'").
 */
export function helpFor(
  argv: string[],
  commands: Record<string, () => Command>,
  root: () => string,
  version: () => string,
): string | null {
  let i = 0;
  let globalHelp = false;
  for (let a = argv[i]; a !== undefined && a.startsWith('-'); a = argv[i]) {
    if (a === '-h' || a === '--help') globalHelp = true;
    i += GLOBAL_VALUE.has(a) ? 2 : 1;
  }
  const rest = argv.slice(i);
  const topic = (name: string | undefined): string => {
    if (name === undefined) return rootHelp(commands, version(), root());
    const c = commands[name];
    if (!c) throw new CartonError(`No help topic for '${name}'`, { kind: 'usage', exitCode: 3 });
    return commandHelp(name, c());
  };
  if (rest[0] === 'help' || rest[0] === 'h') return topic(rest[1]);
  if (rest.length === 0) return topic(undefined);
  if (globalHelp) return topic(undefined);
  // `carton exec ID sh -h`: the -h is the container's, not ours.
  const own = rest[0] === 'exec' ? splitExecArgv(argv)!.head.slice(i + 1) : rest.slice(1);
  if (own.includes('-h') || own.includes('--help')) return topic(rest[0]);
  return null;
}
