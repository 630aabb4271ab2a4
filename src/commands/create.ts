import type { Argv } from 'yargs';
import type { CreateOptions } from '../container/create';
import type { Args, Command } from './types';
import { positionals, store } from './util';

export const createFlags = (y: Argv): Argv =>
  y
    .option('bundle', { alias: 'b', type: 'string', describe: 'path to the root of the bundle directory', default: '' })
    .option('console-socket', {
      type: 'string',
      describe: 'path to an AF_UNIX socket which will receive the pty master',
    })
    .option('pid-file', { type: 'string', describe: 'file to write the process id to' })
    .option('no-pivot', {
      type: 'boolean',
      default: false,
      describe: 'do not use pivot_root (for a rootfs on a ramdisk)',
    })
    .option('no-new-keyring', { type: 'boolean', default: false, describe: 'do not create a new session keyring' })
    .option('preserve-fds', {
      type: 'number',
      default: 0,
      describe: 'pass N additional file descriptors to the container',
    });

/** The options create and run share, from their parsed flags. */
export function createOptions(a: Args, id: string, detach: boolean): CreateOptions {
  return {
    id,
    bundle: a.bundle as string,
    pidFile: a.pidFile as string | undefined,
    consoleSocket: a.consoleSocket as string | undefined,
    noPivot: a.noPivot as boolean,
    noNewKeyring: a.noNewKeyring as boolean,
    preserveFds: a.preserveFds as number,
    systemdCgroup: a.systemdCgroup,
    detach,
    rootless: a.rootless,
  };
}

export const command: Command = {
  command: 'create',
  describe: 'create a container',
  builder: createFlags,
  run(a) {
    const [id] = positionals(a, 'create', 1);
    const { create } = require('../container/create') as typeof import('../container/create');
    create(store(a), createOptions(a, id, true));
    return 0;
  },
};
