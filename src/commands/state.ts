import * as fs from 'fs';
import type { Command } from './types';
import { positionals, store } from './util';

export const command: Command = {
  command: 'state',
  describe: 'output the state of a container',
  run(a) {
    const [id] = positionals(a, 'state', 1);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { publicState } = require('../container/state') as typeof import('../container/state');
    const st = store(a);
    const lock = st.lock(id, false);
    try {
      // runc: json.MarshalIndent with two spaces and no trailing newline
      fs.writeSync(1, JSON.stringify(publicState(st, st.read(id)), null, 2));
    } finally {
      lock.release();
    }
    return 0;
  },
};
