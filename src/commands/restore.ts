import type { Command } from './types';
import { criuFlags } from './checkpoint';
import { positionals } from './util';

export const command: Command = {
  command: 'restore',
  describe: 'restore a container from a previous checkpoint',
  builder: (y) =>
    criuFlags(y)
      .option('console-socket', {
        type: 'string',
        describe: 'path to an AF_UNIX socket which will receive the pty master',
      })
      .option('bundle', {
        alias: 'b',
        type: 'string',
        default: '',
        describe: 'path to the root of the bundle directory',
      })
      .option('detach', { alias: 'd', type: 'boolean', describe: "detach from the container's process" })
      .option('pid-file', { type: 'string', describe: 'specify the file to write the process id to' })
      .option('no-subreaper', {
        type: 'boolean',
        describe: 'disable the use of the subreaper used to reap reparented processes',
      })
      .option('no-pivot', { type: 'boolean', describe: 'do not use pivot root to jail process inside rootfs' }),
  run(a): number {
    positionals(a, 'restore', 1);
    const { refuse } = require('../container/criu') as typeof import('../container/criu');
    return refuse('restore', (a.criu as string | undefined) ?? 'criu');
  },
};
