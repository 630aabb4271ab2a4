// process.capabilities -> the five bitmasks. An unknown name is an error that
// names the set; runc warns and drops names the kernel lacks, carton refuses
// names that do not exist at all (a typo should not silently drop a cap).
import { CartonError } from '../errors';
import { CAPABILITIES } from './linux';
import type { SpecCaps } from '../spec/types';
import type { Caps } from './types';

export type { SpecCaps } from '../spec/types';

function mask(names: string[] | undefined, set: string): bigint {
  let m = 0n;
  for (const n of names ?? []) {
    const i = (CAPABILITIES as readonly string[]).indexOf(n);
    if (i < 0) throw new CartonError(`config.json: /process/capabilities/${set}: unknown capability "${n}"`, { kind: 'invalid-config' });
    m |= 1n << BigInt(i);
  }
  return m;
}

export function capsFromSpec(c: SpecCaps | undefined): Caps {
  return {
    bounding: mask(c?.bounding, 'bounding'),
    effective: mask(c?.effective, 'effective'),
    inheritable: mask(c?.inheritable, 'inheritable'),
    permitted: mask(c?.permitted, 'permitted'),
    ambient: mask(c?.ambient, 'ambient'),
  };
}

export function capNames(m: bigint): string[] {
  return CAPABILITIES.filter((_, i) => (m >> BigInt(i)) & 1n);
}
