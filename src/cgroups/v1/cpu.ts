// v1 cpu: CFS shares/quota/period/burst/idle and RT runtime/period, in
// runc's order (period before quota, retried after it if the kernel refuses
// a smaller period first).
import { keyValues, setFields, type Controller } from '../driver';
import type { Write } from '../types';

const F = 'linux.resources.cpu';

/** The cpu fields this controller owns: cpus and mems belong to cpuset (v1 and v2 alike). */
export const cpuFields: Controller['fields'] = (r) =>
  setFields('cpu', r.cpu).filter((f) => f !== `${F}.cpus` && f !== `${F}.mems`);

export const cpu: Controller = {
  name: 'cpu',
  fields: cpuFields,
  writes(r) {
    const c = r.cpu;
    if (!c) return [];
    const w: Write[] = [];
    if (c.shares) {
      w.push({
        field: `${F}.shares`,
        file: 'cpu.shares',
        value: String(c.shares),
        // The kernel clamps shares silently; runc reports the clamp.
        verify: (got) =>
          Number(got) > c.shares!
            ? `the minimum allowed cpu-shares is ${got}`
            : Number(got) < c.shares!
              ? `the maximum allowed cpu-shares is ${got}`
              : undefined,
      });
    }
    if (c.period)
      w.push({
        field: `${F}.period`,
        file: 'cpu.cfs_period_us',
        value: String(c.period),
        softEinval: Boolean(c.quota),
      });
    if (c.quota) {
      w.push({ field: `${F}.quota`, file: 'cpu.cfs_quota_us', value: String(c.quota) });
      if (c.period) w.push({ field: `${F}.period`, file: 'cpu.cfs_period_us', value: String(c.period) });
    }
    if (c.burst !== undefined) w.push({ field: `${F}.burst`, file: 'cpu.cfs_burst_us', value: String(c.burst) });
    if (c.realtimePeriod)
      w.push({ field: `${F}.realtimePeriod`, file: 'cpu.rt_period_us', value: String(c.realtimePeriod) });
    if (c.realtimeRuntime)
      w.push({ field: `${F}.realtimeRuntime`, file: 'cpu.rt_runtime_us', value: String(c.realtimeRuntime) });
    if (c.idle !== undefined) w.push({ field: `${F}.idle`, file: 'cpu.idle', value: String(c.idle) });
    return w;
  },
  stats(read, out) {
    const s = keyValues(read('cpu.stat'));
    const cpuOut = (out.cpu ??= { usage: { kernel: 0, user: 0 }, throttling: {} }) as Record<
      string,
      Record<string, unknown>
    >;
    const t: Record<string, unknown> = {};
    if (s.nr_periods) t.periods = s.nr_periods;
    if (s.nr_throttled) t.throttledPeriods = s.nr_throttled;
    if (s.throttled_time) t.throttledTime = s.throttled_time;
    cpuOut.throttling = t;
  },
};
