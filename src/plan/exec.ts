// The plan for `carton exec`: a process that joins every namespace of a
// running container's init through /proc/<pid>/ns/* (carton-init joins the
// user namespace first and the mount namespace last) and creates none. No
// rootfs, mounts, devices or hooks: the container is set up already.
import { CartonError } from '../errors';
import type { Process, Seccomp, Spec } from '../spec/types';
import { hostFacts } from './host';
import { planProcess } from './process';
import { NO_FD } from './format';
import { NAMESPACES, NS_FILE } from './linux';
import { processAttrs } from './process-attrs';
import { planSeccomp } from './seccomp';
import type { Plan } from './types';

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

export function buildExecPlan(proc: Process, o: ExecPlanOptions): Plan {
  const nsJoin = o.namespaces.map((type) => {
    const flag = NAMESPACES[type];
    const file = NS_FILE[type];
    if (flag === undefined || file === undefined)
      throw new CartonError(`exec: unknown namespace type "${type}"`, { kind: 'internal' });
    return { flag, path: `/proc/${o.initPid}/ns/${file}` };
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
    ...planProcess(proc, `${o.where}: `),
    // init's table: preserved fds, the console socket (when any), the plan
    // and the sync socket; no exec fifo.
    fds: { fifo: NO_FD, console: o.console ? first : NO_FD, sync: first + (o.console ? 2 : 1), firstOwn: first },
    timeOffsets: [],
    sessionKeyring: `_ses.${o.id}`,
    seccomp: planSeccomp(o.seccomp, Boolean(proc.noNewPrivileges)),
    // personality and memoryPolicy from the container, scheduler and ioPriority from this process
    attrs: processAttrs({ ociVersion: '1.3.0', linux: o.linux, process: proc }),
    exec: true,
    host: hostFacts(o.namespaces.includes('user') ? 'joined' : 'none'),
  };
}
