// Small helpers shared by the subcommand files.
import { UsageError } from '../errors';
import { Store } from '../state/store';
import type { Args } from './types';

/** `min` strings, then the optional ones (possibly absent). */
type AtLeast<N extends number, Acc extends string[] = []> = Acc['length'] extends N
  ? [...Acc, ...string[]]
  : AtLeast<N, [...Acc, string]>;

/** runc's argument-count check: `"state" requires exactly 1 argument(s)`. */
export function positionals<N extends 0 | 1 | 2>(a: Args, name: string, min: N, max: number = min): AtLeast<N> {
  const pos = a._.slice(1).map(String);
  if (pos.length < min || pos.length > max) {
    const want =
      min === max ? `exactly ${min}` : max === Infinity ? `a minimum of ${min}` : `between ${min} and ${max}`;
    throw new UsageError(`"${name}" requires ${want} argument(s)`);
  }
  // The length check above is what makes the first `min` elements present.
  return pos as AtLeast<N>;
}

export function store(a: Args): Store {
  return new Store(a.root);
}
