import type { Command } from './types';
import { positionals, store } from './util';

export const command: Command = {
  command: 'delete',
  describe: 'delete any resources held by the container often used with detached container',
  builder: (y) =>
    y.option('force', {
      alias: 'f',
      type: 'boolean',
      default: false,
      describe: 'forcibly delete the container if it is still running (uses SIGKILL)',
    }),
  run(a) {
    const [id] = positionals(a, 'delete', 1);
    const { del } = require('../container/delete') as typeof import('../container/delete');
    del(store(a), id, a.force as boolean);
    return 0;
  },
};
