// The plan for `carton exec`: a process that joins every namespace of a
// running container's init through /proc/<pid>/ns/* (carton-init joins the
// user namespace first and the mount namespace last) and creates none. No
// rootfs, mounts, devices or hooks: the container is set up already.
import { CartonError } from '../errors';
import type { Process, Seccomp, Spec } from '../spec/types';
import { capsFromSpec } from './caps';
import { NO_FD } from './encode';
import { NAMESPACES, RLIMITS } from './linux';
import { processAttrs } from './process-attrs';
import { planSeccomp } from './seccomp';
import type { Plan } from './types';

/** runtime-spec namespace type -> its file in /proc/<pid>/ns */
const NS_FILE: Record<string, string> = {
  pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
};

export interface ExecPlanOptions {
  id: string;
  /** host pid of the container's init */
  initPid: number;
  /** the container's namespace types (config.json /linux/namespaces) */
  namespaces: string[];
  /** fds 3..3+preserved-1 go to the process */
  preserved: number;
  console: boolean;
  /** where process errors point, e.g. "process.json" or "exec" */
  where: string;
  /** the container's linux.seccomp: an exec'd process gets the same filter */
  seccomp?: Seccomp;
  /** the container's linux (personality, memoryPolicy apply to exec'd processes too) */
  linux?: Spec['linux'];
}

const RLIM_INFINITY = 0xffffffffffffffffn;

export function buildExecPlan(proc: Process, o: ExecPlanOptions): Plan {
  const nsJoin = o.namespaces.map((type) => ({ flag: NAMESPACES[type], path: `/proc/${o.initPid}/ns/${NS_FILE[type]}` }));
  const rlimits = (proc.rlimits ?? []).map((r) => {
    const resource = RLIMITS[r.type];
    if (resource === undefined) throw new CartonError(`${o.where}: /rlimits: unknown rlimit type "${r.type}"`);
    const v = (x: number) => (x >= 18446744073709551615 ? RLIM_INFINITY : BigInt(Math.trunc(x)));
    return { resource, soft: v(r.soft), hard: v(r.hard) };
  });
  const first = 3 + o.preserved;
  return {
    nsJoin,
    nsNew: 0,
    rootfs: '',
    rootReadonly: false,
    rootfsPropagation: 0,
    noPivot: false,
    mounts: [],
    devices: [],
    symlinks: [],
    maskedPaths: [],
    readonlyPaths: [],
    sysctl: [],
    cwd: proc.cwd,
    args: proc.args ?? [],
    env: proc.env ?? [],
    user: { uid: proc.user?.uid ?? 0, gid: proc.user?.gid ?? 0, umask: proc.user?.umask, additionalGids: proc.user?.additionalGids ?? [] },
    rlimits,
    caps: capsFromSpec(proc.capabilities),
    noNewPrivileges: Boolean(proc.noNewPrivileges),
    oomScoreAdj: proc.oomScoreAdj,
    terminal: proc.terminal ? { rows: proc.consoleSize?.height ?? 0, cols: proc.consoleSize?.width ?? 0 } : undefined,
    // init's table: preserved fds, the console socket (when any), the plan
    // and the sync socket; no exec fifo.
    fds: { fifo: NO_FD, console: o.console ? first : NO_FD, sync: first + (o.console ? 2 : 1), firstOwn: first },
    timeOffsets: [],
    sessionKeyring: `_ses.${o.id}`,
    seccomp: planSeccomp(o.seccomp, Boolean(proc.noNewPrivileges)),
    // personality and memoryPolicy from the container, scheduler and ioPriority from this process
    attrs: processAttrs({ ociVersion: '1.3.0', linux: o.linux, process: proc }),
    exec: true,
  };
}
