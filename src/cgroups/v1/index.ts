// cgroup v1 file names for the resources carton applies, one place per
// controller, as runc's fs driver writes them.
import type { DeviceRule, Resources, Write } from '../types';

export function memoryWrites(r: Resources): Write[] {
  const m = r.memory;
  if (!m) return [];
  const w: Write[] = [];
  if (m.limit !== undefined) w.push({ field: 'linux.resources.memory.limit', file: 'memory.limit_in_bytes', value: String(m.limit) });
  if (m.swap !== undefined) w.push({ field: 'linux.resources.memory.swap', file: 'memory.memsw.limit_in_bytes', value: String(m.swap) });
  if (m.reservation !== undefined) w.push({ field: 'linux.resources.memory.reservation', file: 'memory.soft_limit_in_bytes', value: String(m.reservation) });
  return w;
}

export function cpuWrites(r: Resources): Write[] {
  const c = r.cpu;
  if (!c) return [];
  const w: Write[] = [];
  if (c.shares !== undefined) w.push({ field: 'linux.resources.cpu.shares', file: 'cpu.shares', value: String(c.shares) });
  // The period goes first so a quota is checked against the new period.
  if (c.period !== undefined) w.push({ field: 'linux.resources.cpu.period', file: 'cpu.cfs_period_us', value: String(c.period) });
  if (c.quota !== undefined) w.push({ field: 'linux.resources.cpu.quota', file: 'cpu.cfs_quota_us', value: String(c.quota) });
  return w;
}

export function cpusetWrites(r: Resources): Write[] {
  const c = r.cpu;
  const w: Write[] = [];
  if (c?.cpus) w.push({ field: 'linux.resources.cpu.cpus', file: 'cpuset.cpus', value: c.cpus });
  if (c?.mems) w.push({ field: 'linux.resources.cpu.mems', file: 'cpuset.mems', value: c.mems });
  return w;
}

export function pidsWrites(r: Resources): Write[] {
  const l = r.pids?.limit;
  if (l === undefined) return [];
  return [{ field: 'linux.resources.pids.limit', file: 'pids.max', value: l > 0 ? String(l) : 'max' }];
}

/**
 * Devices every container may use whatever the config says, as runc adds
 * them: mknod of anything, and the standard character devices and ptys.
 */
export const DEFAULT_ALLOWED: DeviceRule[] = [
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  ...[[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 1], [5, 2], [10, 200]].map(([major, minor]) => ({ allow: true, type: 'c', major, minor, access: 'rwm' })),
  { allow: true, type: 'c', major: 136, access: 'rwm' },
];

function rule(d: DeviceRule): string {
  const num = (n: number | undefined) => (n === undefined || n < 0 ? '*' : String(n));
  return `${d.type ?? 'a'} ${num(d.major)}:${num(d.minor)} ${d.access || 'rwm'}`;
}

/** The spec's rules in order, then runc's defaults; a deny-all resets the list. */
export function devicesWrites(rules: DeviceRule[]): Write[] {
  return rules.map((d, i) => ({
    field: i < rules.length - DEFAULT_ALLOWED.length ? `linux.resources.devices[${i}]` : 'default device rules',
    file: d.allow ? 'devices.allow' : 'devices.deny',
    value: rule(d),
  }));
}

/** Writes for one v1 hierarchy, chosen by the controllers bound to it. */
export function writesFor(controllers: string[], r: Resources): Write[] {
  const w: Write[] = [];
  if (controllers.includes('memory')) w.push(...memoryWrites(r));
  if (controllers.includes('cpu')) w.push(...cpuWrites(r));
  if (controllers.includes('cpuset')) w.push(...cpusetWrites(r));
  if (controllers.includes('pids')) w.push(...pidsWrites(r));
  if (controllers.includes('devices')) w.push(...devicesWrites([...(r.devices ?? []), ...DEFAULT_ALLOWED]));
  return w;
}

/** Which v1 controller each resource needs; used to report an absent controller. */
export const v1ControllerOf: Record<string, string> = {
  memory: 'memory',
  cpu: 'cpu',
  pids: 'pids',
};
