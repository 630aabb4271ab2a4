import type { Argv } from 'yargs';
import { CartonError, UsageError, errMessage } from '../errors';
import type { Command } from './types';
import { store } from './util';

/** Global options that take a value (they come before the subcommand). */
const GLOBAL_VALUE = new Set(['--root', '--log', '--log-format', '--rootless', '--cgroup-manager', '--criu']);
/** exec's options that take a value. */
const EXEC_VALUE = new Set([
  '--console-socket',
  '--cwd',
  '--env',
  '-e',
  '--user',
  '-u',
  '--additional-gids',
  '-g',
  '--process',
  '-p',
  '--pid-file',
  '--process-label',
  '--apparmor',
  '--cap',
  '-c',
  '--preserve-fds',
  '--cgroup',
]);

/**
 * runc stops parsing exec's flags at the first argument after the container
 * id (StopOnNthArg), so `exec ID sh -c 'x --y'` leaves `-c` to sh. yargs
 * cannot do that per command, so the command after the id is cut off here
 * and only the head is parsed. Returns null when argv is not an exec.
 */
export function splitExecArgv(argv: string[]): { head: string[]; tail: string[] } | null {
  let i = 0;
  for (let g = argv[0]; g?.startsWith('-'); g = argv[i]) i += GLOBAL_VALUE.has(g) ? 2 : 1;
  if (argv[i] !== 'exec') return null;
  for (i++; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--') return { head: argv.slice(0, i + 2), tail: argv.slice(i + 2) };
    if (!a.startsWith('-') || a === '-') return { head: argv.slice(0, i + 1), tail: argv.slice(i + 1) };
    if (EXEC_VALUE.has(a)) i++;
  }
  return { head: argv, tail: [] };
}

/** A repeatable string flag: yargs gives a string once, an array when repeated. */
function list(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

export const command: Command = {
  command: 'exec',
  describe: 'execute new process inside the container',
  builder: (y: Argv) =>
    y
      .option('console-socket', {
        type: 'string',
        describe: 'path to an AF_UNIX socket which will receive the pty master',
      })
      .option('cwd', { type: 'string', describe: 'current working directory in the container' })
      .option('env', { alias: 'e', type: 'string', describe: 'set environment variables (repeatable)' })
      .option('tty', { alias: 't', type: 'boolean', default: false, describe: 'allocate a pseudo-TTY' })
      .option('user', { alias: 'u', type: 'string', describe: 'UID (format: <uid>[:<gid>])' })
      .option('additional-gids', { alias: 'g', type: 'string', describe: 'additional gids (repeatable)' })
      .option('process', { alias: 'p', type: 'string', describe: 'path to the process.json' })
      .option('detach', {
        alias: 'd',
        type: 'boolean',
        default: false,
        describe: "detach from the container's process",
      })
      .option('pid-file', { type: 'string', describe: 'specify the file to write the process id to' })
      .option('process-label', {
        type: 'string',
        describe: 'set the asm process label for the process commonly used with selinux',
      })
      .option('apparmor', { type: 'string', describe: 'set the apparmor profile for the process' })
      .option('no-new-privs', {
        type: 'boolean',
        default: false,
        describe: 'set the no new privileges value for the process',
      })
      .option('cap', {
        alias: 'c',
        type: 'string',
        describe: 'add a capability to the bounding set for the process (repeatable)',
      })
      .option('preserve-fds', {
        type: 'number',
        default: 0,
        describe: 'pass N additional file descriptors to the container',
      })
      .option('cgroup', {
        type: 'string',
        describe: 'run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.',
      })
      .option('ignore-paused', { type: 'boolean', default: false, describe: 'allow exec in a paused container' }),
  async run(a) {
    const split = splitExecArgv(a.rawArgv as string[]) ?? { head: [], tail: [] };
    const [id, ...extra] = a._.slice(1).map(String);
    if (id === undefined || extra.length) throw new UsageError('"exec" requires a minimum of 1 argument(s)');
    const processFile = a.process as string | undefined;
    if (!processFile && split.tail.length === 0) throw new UsageError('"exec" requires a minimum of 2 argument(s)');
    for (const k of ['cwd', 'user', 'pidFile', 'consoleSocket', 'process', 'apparmor', 'processLabel']) {
      if (Array.isArray(a[k]))
        throw new UsageError(`--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} given more than once`);
    }
    const { exec } = require('../container/exec') as typeof import('../container/exec');
    try {
      return await exec(store(a), {
        id,
        processFile,
        args: split.tail,
        tty: a.tty as boolean,
        consoleSocket: a.consoleSocket as string | undefined,
        detach: a.detach as boolean,
        pidFile: a.pidFile as string | undefined,
        cwd: a.cwd as string | undefined,
        env: list(a.env),
        user: a.user as string | undefined,
        additionalGids: list(a.additionalGids),
        caps: list(a.cap),
        noNewPrivs: a.noNewPrivs as boolean,
        apparmor: a.apparmor as string | undefined,
        processLabel: a.processLabel as string | undefined,
        preserveFds: a.preserveFds as number,
        ignorePaused: a.ignorePaused as boolean,
        cgroups: list(a.cgroup),
      });
    } catch (e) {
      // runc: every exec failure is "exec failed: ..." with status 255.
      throw new CartonError(`exec failed: ${errMessage(e)}`, { cause: e, exitCode: 255 });
    }
  },
};
