import * as fs from 'fs';
import type { Command } from './types';
import { checkId } from '../state/store';
import { positionals, store } from './util';

export const command: Command = {
  command: 'state',
  describe: 'output the state of a container',
  run(a) {
    const [id] = positionals(a, 'state', 1);
    const { publicState } = require('../container/state') as typeof import('../container/state');
    const st = store(a);
    // No lock, so no addon: state.json is replaced by rename, so a reader
    // sees a whole old or new file, and a container still being created
    // (no state.json yet) does not exist yet, as with runc.
    checkId(id);
    // runc: json.MarshalIndent with two spaces and no trailing newline
    fs.writeSync(1, JSON.stringify(publicState(st, st.read(id)), null, 2));
    return 0;
  },
};
