import type { Command } from './types';
import { positionals, store } from './util';

export const command: Command = {
  command: 'pause',
  describe: 'pause suspends all processes inside the container',
  run(a) {
    const [id] = positionals(a, 'pause', 1);
    (require('../container/pause') as typeof import('../container/pause')).pause(store(a), id);
    return 0;
  },
};
