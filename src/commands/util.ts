// Small helpers shared by the subcommand files.
import { UsageError } from '../errors';
import { Store } from '../state/store';
import type { Args } from './types';

/** runc's argument-count check: `"state" requires exactly 1 argument(s)`. */
export function positionals(a: Args, name: string, min: number, max = min): string[] {
  const pos = a._.slice(1).map(String);
  if (pos.length < min || pos.length > max) {
    const want = min === max ? `exactly ${min}` : max === Infinity ? `a minimum of ${min}` : `between ${min} and ${max}`;
    throw new UsageError(`"${name}" requires ${want} argument(s)`);
  }
  return pos;
}

export function store(a: Args): Store {
  return new Store(a.root);
}
