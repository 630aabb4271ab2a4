// v1 memory: limits in memory.*_in_bytes, as runc's fs driver writes them,
// including its write order for memory vs memory+swap.
import { SetupError } from '../../errors';
import { keyValues, num, setFields, type Controller, type Reader, type StatsData } from '../driver';
import type { Resources, Write } from '../types';

const F = 'linux.resources.memory';

function entry(read: Reader, prefix: string): StatsData {
  const e: StatsData = { limit: num(read(`${prefix}limit_in_bytes`)) };
  const usage = num(read(`${prefix}usage_in_bytes`));
  const max = num(read(`${prefix}max_usage_in_bytes`));
  if (usage) e.usage = usage;
  if (max) e.max = max;
  e.failcnt = num(read(`${prefix}failcnt`));
  return e;
}

export const memory: Controller = {
  name: 'memory',
  fields: (r) => setFields('memory', r.memory).filter((f) => f !== `${F}.checkBeforeUpdate`),
  writes(r: Resources, read: Reader): Write[] {
    const m = r.memory;
    if (!m) return [];
    const w: Write[] = [];
    const limit = m.limit ?? 0;
    let swap = m.swap ?? 0;
    // Unlimited memory with swap unset means unlimited memory+swap too (runc).
    const autoSwap = limit === -1 && swap === 0;
    if (autoSwap) swap = -1;
    const lim: Write | undefined =
      limit !== 0 ? { field: `${F}.limit`, file: 'memory.limit_in_bytes', value: String(limit) } : undefined;
    const sw: Write | undefined =
      swap !== 0
        ? {
            field: autoSwap ? `${F}.limit` : `${F}.swap`,
            file: 'memory.memsw.limit_in_bytes',
            value: String(swap),
            optional: autoSwap,
          }
        : undefined;
    if (lim && sw) {
      // memsw must stay >= memory at every step: raise memsw first when it grows.
      const cur = Number(read('memory.limit_in_bytes') ?? 0);
      if (swap === -1 || cur < swap) w.push(sw, lim);
      else w.push(lim, sw);
    } else {
      if (lim) w.push(lim);
      if (sw) w.push(sw);
    }
    if (m.reservation)
      w.push({ field: `${F}.reservation`, file: 'memory.soft_limit_in_bytes', value: String(m.reservation) });
    if (m.kernel) w.push({ field: `${F}.kernel`, file: 'memory.kmem.limit_in_bytes', value: String(m.kernel) });
    if (m.kernelTCP)
      w.push({ field: `${F}.kernelTCP`, file: 'memory.kmem.tcp.limit_in_bytes', value: String(m.kernelTCP) });
    if (m.swappiness !== undefined && m.swappiness !== null) {
      if (m.swappiness > 100)
        throw new SetupError(`${F}.swappiness: invalid value:${m.swappiness}. valid memory swappiness range is 0-100`, {
          kind: 'invalid-config',
        });
      w.push({ field: `${F}.swappiness`, file: 'memory.swappiness', value: String(m.swappiness) });
    }
    if (m.disableOOMKiller) w.push({ field: `${F}.disableOOMKiller`, file: 'memory.oom_control', value: '1' });
    if (m.useHierarchy !== undefined)
      w.push({ field: `${F}.useHierarchy`, file: 'memory.use_hierarchy', value: m.useHierarchy ? '1' : '0' });
    // checkBeforeUpdate: on v1 the kernel itself refuses a limit below usage (EBUSY).
    return w;
  },
  stats(read, out) {
    const raw = keyValues(read('memory.stat'));
    const mem: StatsData = {};
    if (raw.cache) mem.cache = raw.cache;
    mem.usage = entry(read, 'memory.');
    mem.swap = entry(read, 'memory.memsw.');
    mem.kernel = entry(read, 'memory.kmem.');
    mem.kernelTCP = entry(read, 'memory.kmem.tcp.');
    mem.raw = raw;
    out.memory = mem;
  },
};
