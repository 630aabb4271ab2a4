import type { Command } from './types';
import { positionals, store } from './util';

export const command: Command = {
  command: 'start',
  describe: 'executes the user defined process in a created container',
  run(a) {
    const [id] = positionals(a, 'start', 1);
    const { start } = require('../container/start') as typeof import('../container/start');
    start(store(a), id);
    return 0;
  },
};
