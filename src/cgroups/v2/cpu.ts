// v2 cpu: cpu.weight (from v1 shares), cpu.max "quota period",
// cpu.max.burst and cpu.idle. v2 has no realtime group scheduling.
import { SetupError } from '../../errors';
import { keyValues, type Controller } from '../driver';
import { cpuFields } from '../v1/cpu';
import type { Write } from '../types';

const F = 'linux.resources.cpu';

/** runc's shares -> weight mapping: [2, 262144] onto [1, 10000]. */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

export const cpu: Controller = {
  name: 'cpu',
  fields: cpuFields,
  writes(r) {
    const c = r.cpu;
    if (!c) return [];
    if (c.realtimeRuntime || c.realtimePeriod) {
      throw new SetupError(
        `${F}.${c.realtimeRuntime ? 'realtimeRuntime' : 'realtimePeriod'}: cgroup v2 has no realtime group scheduling (cpu.rt_*)`,
        { kind: 'unsupported' },
      );
    }
    const w: Write[] = [];
    if (c.idle !== undefined && c.idle !== null)
      w.push({ field: `${F}.idle`, file: 'cpu.idle', value: String(c.idle) });
    // A SCHED_IDLE group has no weight to set.
    if (c.shares && c.idle !== 1)
      w.push({ field: `${F}.shares`, file: 'cpu.weight', value: String(sharesToWeight(c.shares)) });
    if (c.quota || c.period) {
      let value = c.quota && c.quota > 0 ? String(c.quota) : 'max';
      if (c.period) value += ` ${c.period}`;
      w.push({ field: c.quota ? `${F}.quota` : `${F}.period`, file: 'cpu.max', value });
    }
    if (c.burst !== undefined && c.burst !== null)
      w.push({ field: `${F}.burst`, file: 'cpu.max.burst', value: String(c.burst) });
    return w;
  },
  stats(read, out) {
    const s = keyValues(read('cpu.stat'));
    const usage: Record<string, unknown> = {};
    if (s.usage_usec) usage.total = s.usage_usec * 1000;
    usage.kernel = (s.system_usec ?? 0) * 1000;
    usage.user = (s.user_usec ?? 0) * 1000;
    const t: Record<string, unknown> = {};
    if (s.nr_periods) t.periods = s.nr_periods;
    if (s.nr_throttled) t.throttledPeriods = s.nr_throttled;
    if (s.throttled_usec) t.throttledTime = s.throttled_usec * 1000;
    out.cpu = { usage, throttling: t };
  },
};
