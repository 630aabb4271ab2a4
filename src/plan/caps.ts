// process.capabilities -> the five bitmasks. As runc does, a name that carton
// does not know or that the running kernel lacks (above cap_last_cap) is
// dropped with one warning for all of them: engines pass capabilities newer
// than the host's kernel routinely, and refusing would break them.
import * as fs from 'fs';
import { warn } from '../log';
import { CAPABILITIES } from './linux';
import type { SpecCaps } from '../spec/types';
import type { Caps } from './types';

export type { SpecCaps } from '../spec/types';

let lastCap: number | undefined;

/** The kernel's highest capability number (a host fact, read once). */
function kernelLastCap(): number {
  if (lastCap === undefined) {
    try {
      lastCap = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
    } catch {
      lastCap = NaN;
    }
    if (!Number.isInteger(lastCap)) lastCap = CAPABILITIES.length - 1;
  }
  return lastCap;
}

function mask(names: string[] | undefined, unknown: Set<string>): bigint {
  let m = 0n;
  for (const n of names ?? []) {
    const i = (CAPABILITIES as readonly string[]).indexOf(n);
    if (i < 0 || i > kernelLastCap()) unknown.add(n);
    else m |= 1n << BigInt(i);
  }
  return m;
}

export function capsFromSpec(c: SpecCaps | undefined): Caps {
  const unknown = new Set<string>();
  const caps = {
    bounding: mask(c?.bounding, unknown),
    effective: mask(c?.effective, unknown),
    inheritable: mask(c?.inheritable, unknown),
    permitted: mask(c?.permitted, unknown),
    ambient: mask(c?.ambient, unknown),
  };
  // runc's wording and format (Go's %v of a sorted slice).
  if (unknown.size) warn(`ignoring unknown or unavailable capabilities: [${[...unknown].sort().join(' ')}]`);
  return caps;
}

export function capNames(m: bigint): string[] {
  return CAPABILITIES.filter((_, i) => (m >> BigInt(i)) & 1n);
}
