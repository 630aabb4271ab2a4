// What the cgroup code needs from linux.resources (a subset typed here; the
// schema has already validated the whole object).
export interface Resources {
  memory?: { limit?: number; reservation?: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string; mems?: string };
  pids?: { limit?: number };
  devices?: DeviceRule[];
  [other: string]: unknown;
}

/** What carton keeps in the container's state to find and remove its cgroup. */
export interface CgroupRecord {
  mode: 'v1' | 'v2' | 'hybrid';
  /** the container's cgroup path inside every hierarchy, e.g. /carton/c1 */
  path: string;
  /** the container's directory in each hierarchy, keyed by controller list ('' = cgroup2) */
  dirs: Record<string, string>;
  /** directories carton created, parents before children */
  created: string[];
}

/** One controller's file writes, with the config field each comes from. */
export interface Write {
  field: string;
  file: string;
  value: string;
}

export interface DeviceRule {
  allow: boolean;
  type?: string;
  major?: number;
  minor?: number;
  access?: string;
}
