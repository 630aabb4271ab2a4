import * as fs from 'fs';
import { CartonError } from '../errors';
import type { Command } from './types';
import { positionals, store } from './util';

export const command: Command = {
  command: 'list',
  describe: 'lists containers started by carton with the given root',
  builder: (y) =>
    y
      .option('format', {
        alias: 'f',
        type: 'string',
        default: 'table',
        choices: ['table', 'json'],
        describe: 'select one of: table or json',
      })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'display only container IDs' }),
  run(a) {
    positionals(a, 'list', 0);
    const { publicState, ownerName } = require('../container/state') as typeof import('../container/state');
    const st = store(a);
    if (!fs.existsSync(st.root) && a.rootExplicit)
      throw new CartonError(`open ${st.root}: no such file or directory`, { kind: 'not-found' });
    const states = [];
    for (const id of st.ids()) {
      try {
        states.push(publicState(st, st.read(id), ownerName(st.dir(id))));
      } catch {
        // being created or deleted right now
      }
    }
    if (a.quiet) {
      fs.writeSync(1, states.map((s) => s.id + '\n').join(''));
    } else if (a.format === 'json') {
      // runc encodes a nil slice as null
      fs.writeSync(1, JSON.stringify(states.length ? states : null) + '\n');
    } else {
      const header = ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'];
      const rows = [header, ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner])];
      const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c]?.length ?? 0)));
      fs.writeSync(
        1,
        rows
          .map((r) => r.map((v, c) => (c < r.length - 1 ? v.padEnd((widths[c] ?? 0) + 3) : v)).join('') + '\n')
          .join(''),
      );
    }
    return 0;
  },
};
