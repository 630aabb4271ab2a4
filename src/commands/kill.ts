import type { Command } from './types';
import { positionals, store } from './util';

export const command: Command = {
  command: 'kill',
  describe: "kill sends the specified signal (default: SIGTERM) to the container's init process",
  builder: (y) =>
    y.option('all', {
      alias: 'a',
      type: 'boolean',
      default: false,
      describe: 'send the signal to all processes in the container',
    }),
  run(a) {
    const [id, sig] = positionals(a, 'kill', 1, 2);
    const { kill } = require('../container/kill') as typeof import('../container/kill');
    const { parseSignal } = require('../container/signals') as typeof import('../container/signals');
    kill(store(a), id, parseSignal(sig), a.all as boolean);
    return 0;
  },
};
