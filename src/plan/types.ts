// The resolved plan carton-init carries out (see src/plan/format.ts for the
// wire format). Everything here is final: no defaults left to init.
import { HookKind, MountKind } from './format';
import type { HostFacts } from './host';
import type { PlanIdmap } from './idmap';
import type { PlanNetDevice } from './net-devices';
import type { ProcessAttrs } from './process-attrs';
import type { SeccompPlan } from './seccomp';

export { HookKind, MountKind };

export interface PlanMount {
  kind: MountKind;
  source: string;
  target: string;
  fstype: string;
  flags: number;
  propagation: number;
  attrClr: number;
  attrSet: number;
  data: string;
  /** a bind whose source stage A opens (open_tree) before any namespace: the container's root may not reach it */
  detachedSource?: boolean;
  /** mounted without MS_RDONLY, remounted read-only after /dev is set up (a ro /dev or tmpfs, as runc) */
  deferReadonly?: boolean;
  /** an id-mapped bind mount (plan tag T_IDMAP_MOUNT) */
  idmap?: PlanIdmap;
}

export interface PlanDevice {
  path: string;
  type: 'c' | 'b' | 'p' | 'u';
  major: number;
  minor: number;
  mode: number;
  uid: number;
  gid: number;
  bind: boolean;
}

export interface Caps {
  bounding: bigint;
  effective: bigint;
  inheritable: bigint;
  permitted: bigint;
  ambient: bigint;
}

export interface Plan {
  nsJoin: Array<{ flag: number; path: string }>;
  nsNew: number;
  hostname?: string;
  domainname?: string;
  rootfs: string;
  rootReadonly: boolean;
  rootfsPropagation: number;
  noPivot: boolean;
  mounts: PlanMount[];
  devices: PlanDevice[];
  symlinks: Array<{ target: string; path: string }>;
  maskedPaths: string[];
  readonlyPaths: string[];
  sysctl: Array<[string, string]>;
  cwd: string;
  args: string[];
  env: string[];
  user: { uid: number; gid: number; umask?: number; additionalGids: number[] };
  rlimits: Array<{ resource: number; soft: bigint; hard: bigint }>;
  caps: Caps;
  noNewPrivileges: boolean;
  oomScoreAdj?: number;
  terminal?: { rows: number; cols: number };
  fds: { sync: number; fifo: number; console: number; firstOwn: number };
  timeOffsets: Array<{ clock: number; secs: bigint; nsecs: number }>;
  /** undefined with --no-new-keyring */
  sessionKeyring?: string;
  /** `carton exec`: join a running container, no fifo, no rootfs setup (T_EXEC) */
  exec?: boolean;
  /** pause after the mounts for the runtime hooks (T_HOOKS_PAUSE) */
  hooksPause?: boolean;
  /** createContainer/startContainer hooks, run by init (T_HOOK) */
  hooks?: PlanHook[];
  /** --debug: init reports its phases ('T', T_TRACE) */
  trace?: boolean;
  seccomp?: SeccompPlan;
  /** T_NET_DEVICE (encode/namespaces.ts) */
  netDevices?: PlanNetDevice[];
  /** T_PERSONALITY, T_SCHEDULER, T_IO_PRIORITY, T_MEMORY_POLICY (encode/process.ts) */
  attrs?: ProcessAttrs;
  /** read in the runtime's namespaces, never by init in the container (T_HOST_FACTS) */
  host: HostFacts;
}

export interface PlanHook {
  kind: HookKind;
  /** seconds, 0 = none */
  timeout: number;
  path: string;
  args: string[];
  env: string[];
}
