import type { Command } from './types';
import { positionals, store } from './util';

export const command: Command = {
  command: 'resume',
  describe: 'resumes all processes that have been previously paused',
  run(a) {
    const [id] = positionals(a, 'resume', 1);
    (require('../container/pause') as typeof import('../container/pause')).resume(store(a), id);
    return 0;
  },
};
