// v1 cpuacct: no limits, only the usage counters of `events --stats`.
import { keyValues, type Controller } from '../driver';

/** cpuacct.stat counts USER_HZ ticks (100/s on Linux); runc reports nanoseconds. */
const NS_PER_TICK = 1e9 / 100;

const list = (s: string | undefined) => (s ?? '').trim().split(/\s+/).filter(Boolean).map(Number);

export const cpuacct: Controller = {
  name: 'cpuacct',
  fields: () => [],
  writes: () => [],
  stats(read, out) {
    const usage: Record<string, unknown> = {};
    const total = Number(read('cpuacct.usage') ?? 0);
    if (total) usage.total = total;
    const percpu = list(read('cpuacct.usage_percpu'));
    if (percpu.length) usage.percpu = percpu;
    // usage_all: "cpu user system" per line after a header
    const all = (read('cpuacct.usage_all') ?? '')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/).map(Number));
    if (all[0]?.length === 3) {
      usage.percpu_kernel = all.map((r) => r[2]);
      usage.percpu_user = all.map((r) => r[1]);
    }
    const st = keyValues(read('cpuacct.stat'));
    usage.kernel = (st.system ?? 0) * NS_PER_TICK;
    usage.user = (st.user ?? 0) * NS_PER_TICK;
    const cpuOut = (out.cpu ??= { usage: {}, throttling: {} }) as Record<string, unknown>;
    cpuOut.usage = usage;
  },
};
