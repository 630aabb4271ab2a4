// The cgroup code's own types. linux.resources itself is typed with the rest
// of config.json in spec/types.ts (re-exported here for the controllers).
export type { DeviceRule, Resources, ThrottleDevice } from '../spec/types';

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
