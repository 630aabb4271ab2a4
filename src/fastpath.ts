// The hot commands engines call many times per container (create, run,
// state, start, kill, delete, list, pause, resume, ps, events --stats) in their plain
// shapes are parsed here without loading yargs, which costs ~8 ms of every
// start (half of carton's own share of a `state`). Anything this parser does
// not recognise exactly (help, unknown or repeated flags, `--flag=value` on
// booleans, wrong argument counts) returns null and goes through yargs, which
// stays the one place that explains usage errors. test/unit/fastpath.test.ts
// checks that both parsers agree on every shape this one accepts.
import type { Args } from './commands/types';

interface Flag {
  key: string;
  value: boolean;
  choices?: string[];
  /** a non-negative integer (yargs' number type) */
  number?: boolean;
}

const GLOBALS: Record<string, Flag> = {
  '--root': { key: 'root', value: true },
  '--log': { key: 'log', value: true },
  '--log-format': { key: 'logFormat', value: true, choices: ['text', 'json'] },
  '--debug': { key: 'debug', value: false },
  '--systemd-cgroup': { key: 'systemdCgroup', value: false },
  '--rootless': { key: 'rootless', value: true },
  '--cgroup-manager': { key: 'cgroupManager', value: true },
};

interface CommandShape {
  flags: Record<string, Flag>;
  defaults: Record<string, unknown>;
  min: number;
  max: number;
}

const ALL = { key: 'all', value: false };
const FORCE = { key: 'force', value: false };
const FORMAT = { key: 'format', value: true, choices: ['table', 'json'] };
const QUIET = { key: 'quiet', value: false };
const STATS = { key: 'stats', value: false };
const BUNDLE = { key: 'bundle', value: true };
const CREATE_FLAGS: Record<string, Flag> = {
  '--bundle': BUNDLE,
  '-b': BUNDLE,
  '--console-socket': { key: 'consoleSocket', value: true },
  '--pid-file': { key: 'pidFile', value: true },
  '--no-pivot': { key: 'noPivot', value: false },
  '--no-new-keyring': { key: 'noNewKeyring', value: false },
  '--preserve-fds': { key: 'preserveFds', value: true, number: true },
};
const CREATE_DEFAULTS = { bundle: '', noPivot: false, noNewKeyring: false, preserveFds: 0 };
const DETACH = { key: 'detach', value: false };
const ID_ONLY: CommandShape = { flags: {}, defaults: {}, min: 1, max: 1 };

const SHAPES: Record<string, CommandShape> = {
  // create and run are what engines call for every container
  create: { flags: CREATE_FLAGS, defaults: CREATE_DEFAULTS, min: 1, max: 1 },
  run: {
    flags: {
      ...CREATE_FLAGS,
      '--detach': DETACH,
      '-d': DETACH,
      '--no-subreaper': { key: 'noSubreaper', value: false },
      '--keep': { key: 'keep', value: false },
    },
    defaults: { ...CREATE_DEFAULTS, detach: false, noSubreaper: false, keep: false },
    min: 1,
    max: 1,
  },
  state: ID_ONLY,
  start: ID_ONLY,
  pause: ID_ONLY,
  resume: ID_ONLY,
  kill: { flags: { '--all': ALL, '-a': ALL }, defaults: { all: false }, min: 1, max: 2 },
  delete: { flags: { '--force': FORCE, '-f': FORCE }, defaults: { force: false }, min: 1, max: 1 },
  list: {
    flags: { '--format': FORMAT, '-f': FORMAT, '--quiet': QUIET, '-q': QUIET },
    defaults: { format: 'table', quiet: false },
    min: 0,
    max: 0,
  },
  events: { flags: { '--stats': STATS }, defaults: { stats: false, interval: '5s' }, min: 1, max: 1 },
  // ps parses its own argv (everything after the id is ps(1)'s); only the
  // globals matter here.
  ps: { flags: {}, defaults: {}, min: 0, max: Infinity },
};

/** The commands this parser can take (scripts/bundle.mjs gives each its own bundle in dist/carton). */
export const FAST_COMMANDS = Object.keys(SHAPES);

/** Reads `--name value` / `--name=value` / `--bool` at argv[i]; null if not this flag set's. */
function take(
  argv: string[],
  i: number,
  flags: Record<string, Flag>,
  out: Record<string, unknown>,
  seen: Set<string>,
): number | null {
  const x = argv[i] ?? '';
  const eq = x.indexOf('=');
  const name = eq > 0 ? x.slice(0, eq) : x;
  const f = flags[name];
  if (!f || seen.has(f.key)) return null;
  seen.add(f.key);
  let value: string | boolean = true;
  let next = i + 1;
  if (f.value) {
    if (eq > 0) value = x.slice(eq + 1);
    else {
      const following = argv[i + 1];
      if (following === undefined || following.startsWith('-')) return null;
      value = following;
      next = i + 2;
    }
    if (f.choices && !f.choices.includes(value)) return null;
    if (f.number) {
      if (!/^\d+$/.test(value)) return null;
      out[f.key] = Number(value);
      return next;
    }
  } else if (eq > 0) {
    return null;
  }
  out[f.key] = value;
  return next;
}

/** runc's default --root: /run/<name> for root, $XDG_RUNTIME_DIR/<name> otherwise. */
export function defaultRoot(): string {
  const xdg = process.env.XDG_RUNTIME_DIR;
  return process.geteuid?.() !== 0 && xdg ? `${xdg}/carton` : '/run/carton';
}

export function fastParse(argv: string[], defaultRoot: string): { command: string; args: Args } | null {
  const out: Record<string, unknown> = {
    root: defaultRoot,
    logFormat: 'text',
    debug: false,
    systemdCgroup: false,
    rootless: 'auto',
  };
  const seen = new Set<string>();
  let i = 0;
  while (argv[i]?.startsWith('-')) {
    const next = take(argv, i, GLOBALS, out, seen);
    if (next === null) return null;
    i = next;
  }
  const command = argv[i];
  const shape = command === undefined ? undefined : SHAPES[command];
  if (command === undefined || !shape) return null;
  Object.assign(out, shape.defaults);
  const positionals: string[] = [];
  if (command === 'ps') {
    positionals.push(...argv.slice(i + 1));
  } else {
    for (let j = i + 1, x = argv[j]; x !== undefined; x = argv[j]) {
      if (x.startsWith('-')) {
        const next = take(argv, j, shape.flags, out, seen);
        if (next === null) return null;
        j = next;
      } else {
        positionals.push(x);
        j++;
      }
    }
  }
  if (positionals.length < shape.min || positionals.length > shape.max) return null;
  return {
    command,
    args: {
      ...out,
      _: [command, ...positionals],
      rawArgv: argv,
      rootExplicit: argv.some((x) => x === '--root' || x.startsWith('--root=')),
    } as unknown as Args,
  };
}
