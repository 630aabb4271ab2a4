import * as fs from 'fs';
import type { Command } from './types';
import { positionals } from './util';

export const command: Command = {
  command: 'features',
  describe: 'show the enabled features',
  run(a) {
    positionals(a, 'features', 0);
    const { features } = require('../container/features') as typeof import('../container/features');
    // runc: json.MarshalIndent with four spaces, then a newline
    fs.writeSync(1, JSON.stringify(features(), null, 4) + '\n');
    return 0;
  },
};
