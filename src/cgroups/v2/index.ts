// cgroup v2 (unified) files for the resources carton applies, with runc's
// conversions from the v1-shaped spec fields.
import type { Resources, Write } from '../types';

/** runc's shares -> weight mapping: [2, 262144] onto [1, 10000]. */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

export function writes(r: Resources): Array<Write & { controller: string }> {
  const w: Array<Write & { controller: string }> = [];
  const m = r.memory;
  if (m?.limit !== undefined) w.push({ controller: 'memory', field: 'linux.resources.memory.limit', file: 'memory.max', value: m.limit < 0 ? 'max' : String(m.limit) });
  if (m?.reservation !== undefined) w.push({ controller: 'memory', field: 'linux.resources.memory.reservation', file: 'memory.low', value: String(m.reservation) });
  if (m?.swap !== undefined) {
    // v1's swap is memory+swap; v2's memory.swap.max is swap alone.
    const v = m.swap < 0 ? 'max' : m.limit !== undefined && m.limit >= 0 ? String(Math.max(0, m.swap - m.limit)) : String(m.swap);
    w.push({ controller: 'memory', field: 'linux.resources.memory.swap', file: 'memory.swap.max', value: v });
  }
  const c = r.cpu;
  if (c?.shares !== undefined && c.shares !== 0) w.push({ controller: 'cpu', field: 'linux.resources.cpu.shares', file: 'cpu.weight', value: String(sharesToWeight(c.shares)) });
  if (c?.quota !== undefined || c?.period !== undefined) {
    const quota = c.quota === undefined || c.quota < 0 ? 'max' : String(c.quota);
    w.push({ controller: 'cpu', field: c.quota !== undefined ? 'linux.resources.cpu.quota' : 'linux.resources.cpu.period', file: 'cpu.max', value: `${quota} ${c.period ?? 100000}` });
  }
  if (c?.cpus) w.push({ controller: 'cpuset', field: 'linux.resources.cpu.cpus', file: 'cpuset.cpus', value: c.cpus });
  if (c?.mems) w.push({ controller: 'cpuset', field: 'linux.resources.cpu.mems', file: 'cpuset.mems', value: c.mems });
  const l = r.pids?.limit;
  if (l !== undefined) w.push({ controller: 'pids', field: 'linux.resources.pids.limit', file: 'pids.max', value: l > 0 ? String(l) : 'max' });
  return w;
}
