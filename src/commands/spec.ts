import * as fs from 'fs';
import * as path from 'path';
import { CartonError } from '../errors';
import type { Command } from './types';
import { positionals } from './util';

export const command: Command = {
  command: 'spec',
  describe: 'create a new specification file',
  builder: (y) =>
    y
      // `spec --rootless` shares its name with the global string flag
      // --rootless[=true|false|auto]; yargs keeps one option, read below.
      .option('bundle', {
        alias: 'b',
        type: 'string',
        default: '',
        describe: 'path to the root of the bundle directory',
      }),
  run(a) {
    positionals(a, 'spec', 0);
    const { exampleSpec, toRootless } = require('../spec/defaults') as typeof import('../spec/defaults');
    const dir = path.resolve((a.bundle as string) || '.');
    const file = path.join(dir, 'config.json');
    if (fs.existsSync(file)) throw new CartonError('File config.json exists. Remove it first', { kind: 'exists' });
    let spec = exampleSpec();
    const after = (a.rawArgv as string[]).slice((a.rawArgv as string[]).indexOf('spec') + 1);
    if (after.some((x) => x === '--rootless' || x === '--rootless=true'))
      spec = toRootless(spec, process.geteuid?.() ?? 0, process.getegid?.() ?? 0);
    fs.writeFileSync(file, JSON.stringify(spec, null, '\t'));
    return 0;
  },
};
