// `ps [--format table|json] <id> [ps options]`: as runc (StopOnNthArg: 1),
// everything after the container id belongs to ps(1), dashes included, so
// the id and ps's arguments are taken from the raw argv.
import * as fs from 'fs';
import { UsageError } from '../errors';
import type { Command } from './types';
import { store } from './util';

/** Split `ps`'s own argv into its flags and [id, ...psArgs]. */
export function splitPsArgv(argv: string[]): { format: string; rest: string[] } {
  const i = argv.indexOf('ps');
  let format = 'table';
  let j = i + 1;
  for (let x = argv[j]; x !== undefined; x = argv[++j]) {
    if (x === '--') {
      j++;
      break;
    }
    if (x === '--format' || x === '-f') format = argv[++j] ?? '';
    else if (x.startsWith('--format=')) format = x.slice('--format='.length);
    else if (x.startsWith('-f=')) format = x.slice(3);
    else if (x.startsWith('-')) throw new UsageError(`flag provided but not defined: ${x}`);
    else break;
  }
  return { format, rest: argv.slice(j) };
}

export const command: Command = {
  command: 'ps',
  describe: 'ps displays the processes running inside a container',
  builder: (y) =>
    y
      .option('format', { alias: 'f', type: 'string', default: 'table', describe: 'select one of: table or json' })
      .parserConfiguration({ 'halt-at-non-option': true, 'unknown-options-as-args': true }),
  run(a) {
    const { format, rest } = splitPsArgv(a.rawArgv as string[]);
    const [id, ...psArgs] = rest;
    if (id === undefined) throw new UsageError('"ps" requires a minimum of 1 argument(s)');
    const ps = require('../container/ps') as typeof import('../container/ps');
    const pids = ps.pids(store(a), id);
    if (format === 'json') {
      // runc encodes a nil slice: `null` when the cgroup is empty
      fs.writeSync(1, (pids.length ? JSON.stringify(pids) : 'null') + '\n');
      return 0;
    }
    if (format !== 'table') throw new UsageError('invalid format option');
    fs.writeSync(1, ps.table(pids, psArgs));
    return 0;
  },
};
