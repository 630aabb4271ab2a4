// What the cgroup code needs from linux.resources, typed as runtime-spec
// 1.3.0 has it (the schema has already validated the whole object).
export interface Resources {
  memory?: {
    limit?: number;
    reservation?: number;
    swap?: number;
    kernel?: number;
    kernelTCP?: number;
    swappiness?: number;
    disableOOMKiller?: boolean;
    useHierarchy?: boolean;
    checkBeforeUpdate?: boolean;
  };
  cpu?: {
    shares?: number;
    quota?: number;
    burst?: number;
    period?: number;
    realtimeRuntime?: number;
    realtimePeriod?: number;
    cpus?: string;
    mems?: string;
    idle?: number;
  };
  blockIO?: {
    weight?: number;
    leafWeight?: number;
    weightDevice?: Array<{ major: number; minor: number; weight?: number; leafWeight?: number }>;
    throttleReadBpsDevice?: ThrottleDevice[];
    throttleWriteBpsDevice?: ThrottleDevice[];
    throttleReadIOPSDevice?: ThrottleDevice[];
    throttleWriteIOPSDevice?: ThrottleDevice[];
  };
  hugepageLimits?: Array<{ pageSize: string; limit: number }>;
  network?: { classID?: number; priorities?: Array<{ name: string; priority: number }> };
  pids?: { limit?: number };
  rdma?: Record<string, { hcaHandles?: number; hcaObjects?: number }>;
  unified?: Record<string, string>;
  devices?: DeviceRule[];
}

export interface ThrottleDevice {
  major: number;
  minor: number;
  rate?: number;
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
  /** --systemd-cgroup: the transient scope systemd holds the container in (src/cgroups/systemd/) */
  systemd?: { slice: string; name: string; path: string; started?: boolean };
}

/** One file write, with the config field it comes from (named in errors). */
export interface Write {
  field: string;
  file: string;
  value: string;
  /** ENOENT is not an error (runc's "silently ignore" cases, e.g. swap accounting off and swap unlimited) */
  optional?: boolean;
  /** EINVAL is not an error yet: the same write comes again later in the list (runc's period/quota dance) */
  softEinval?: boolean;
  /** reads the file back; a message means the kernel did not take the value as given */
  verify?: (got: string) => string | undefined;
}

export interface DeviceRule {
  allow: boolean;
  type?: string;
  major?: number;
  minor?: number;
  access?: string;
}
