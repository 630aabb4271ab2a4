// v2 memory: memory.max/low/swap.max with runc's conversion of the
// v1-shaped spec (swap is memory+swap there, swap alone here).
import { SetupError } from '../../errors';
import { keyValues, num, setFields, type Controller } from '../driver';
import type { Write } from '../types';

const F = 'linux.resources.memory';

/** runc's ConvertMemorySwapToCgroupV2Value: -1 is max, 0 is unset. */
export function swapV2(swap: number, limit: number): number {
  if (limit === -1 && swap === 0) return -1;
  if (swap === -1 || swap === 0) return swap;
  if (limit === 0 || limit === -1)
    throw new SetupError(`${F}.swap: unable to set swap limit without memory limit`, { kind: 'invalid-config' });
  if (limit < 0) throw new SetupError(`${F}.limit: invalid memory value: ${limit}`, { kind: 'invalid-config' });
  if (swap < limit)
    throw new SetupError(`${F}.swap: memory+swap limit should be >= memory limit`, { kind: 'invalid-config' });
  return swap - limit;
}

const v = (n: number) => (n === -1 ? 'max' : String(n));

export const memory: Controller = {
  name: 'memory',
  fields: (r) => setFields('memory', r.memory).filter((f) => f !== `${F}.checkBeforeUpdate`),
  writes(r, read) {
    const m = r.memory;
    if (!m) return [];
    for (const k of ['kernel', 'kernelTCP', 'swappiness'] as const) {
      if (m[k] !== undefined && m[k] !== null)
        throw new SetupError(`${F}.${k}: not supported by the cgroup v2 memory controller`, { kind: 'invalid-config' });
    }
    if (m.disableOOMKiller)
      throw new SetupError(`${F}.disableOOMKiller: not supported by the cgroup v2 memory controller`, {
        kind: 'invalid-config',
      });
    if (m.useHierarchy === false)
      throw new SetupError(`${F}.useHierarchy: cgroup v2 memory accounting is always hierarchical`, {
        kind: 'unsupported',
      });
    const w: Write[] = [];
    const limit = m.limit ?? 0;
    const swap = swapV2(m.swap ?? 0, limit);
    // Swap accounting off: setting "no swap" or "unlimited" may be skipped, as runc does.
    if (swap !== 0)
      w.push({
        field: m.swap ? `${F}.swap` : `${F}.limit`,
        file: 'memory.swap.max',
        value: v(swap),
        optional: swap === -1,
      });
    if (limit !== 0) {
      if (m.checkBeforeUpdate && limit > 0) {
        const cur = Number(read('memory.current') ?? 0);
        if (cur > limit)
          throw new SetupError(
            `${F}.limit: rejecting memory limit ${limit} below current usage ${cur} (checkBeforeUpdate)`,
            { kind: 'invalid-config' },
          );
      }
      w.push({ field: `${F}.limit`, file: 'memory.max', value: v(limit) });
    }
    if (m.reservation) w.push({ field: `${F}.reservation`, file: 'memory.low', value: v(m.reservation) });
    return w;
  },
  stats(read, out) {
    const raw = keyValues(read('memory.stat'));
    const ev = keyValues(read('memory.events'));
    const mem: Record<string, unknown> = {};
    if (raw.file) mem.cache = raw.file;
    const usage: Record<string, unknown> = { limit: num(read('memory.max')) };
    const cur = num(read('memory.current'));
    if (cur) usage.usage = cur;
    const peak = num(read('memory.peak'));
    if (peak) usage.max = peak;
    usage.failcnt = ev.max ?? 0;
    mem.usage = usage;
    const swap: Record<string, unknown> = { limit: num(read('memory.swap.max')) };
    const sc = num(read('memory.swap.current'));
    if (sc) swap.usage = sc;
    swap.failcnt = 0;
    mem.swap = swap;
    mem.kernel = { limit: 0, failcnt: 0 };
    mem.kernelTCP = { limit: 0, failcnt: 0 };
    mem.raw = raw;
    out.memory = mem;
  },
};
