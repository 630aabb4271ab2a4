import type { Command } from './types';
import { createFlags, createOptions } from './create';
import { positionals, store } from './util';

export const command: Command = {
  command: 'run',
  describe: 'create and run a container',
  builder: (y) =>
    createFlags(y)
      .option('detach', {
        alias: 'd',
        type: 'boolean',
        default: false,
        describe: "detach from the container's process",
      })
      .option('no-subreaper', {
        type: 'boolean',
        default: false,
        describe: 'disable the use of the subreaper used to reap reparented processes',
      })
      .option('keep', { type: 'boolean', default: false, describe: 'do not delete the container after it exits' }),
  run(a) {
    const [id] = positionals(a, 'run', 1);
    const { run } = require('../container/run') as typeof import('../container/run');
    return run(store(a), {
      ...createOptions(a, id, a.detach as boolean),
      noSubreaper: a.noSubreaper as boolean,
      keep: a.keep as boolean,
    });
  },
};
