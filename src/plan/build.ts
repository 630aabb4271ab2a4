// config.json (validated) + command-line options -> the Plan. Every default
// and every path is resolved here, in TypeScript; carton-init decides nothing.
import * as fs from 'fs';
import * as path from 'path';
import { CartonError, errText } from '../errors';
import type { CgroupLayout } from '../cgroups/mounts';
import type { CgroupRecord } from '../cgroups/types';
import type { Bundle } from '../spec/load';
import type { Mount } from '../spec/types';
import { hostFacts } from './host';
import { planProcess } from './process';
import { cgroupMounts } from './cgroup-mount';
import { defaultSymlinks, planDevices } from './devices';
import { NO_FD } from './format';
import { mountIdmap } from './idmap';
import { CLOCKS, CLONE, MS, NAMESPACES } from './linux';
import { parseOptions } from './mount-options';
import { netDevices } from './net-devices';
import { processAttrs } from './process-attrs';
import { planSeccomp } from './seccomp';
import { MountKind, type Plan, type PlanMount } from './types';

export interface BuildOptions {
  id: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  /** fds 3..3+preserved-1 go to the process (--preserve-fds, LISTEN_FDS) */
  preserved: number;
  console: boolean;
  cgroup: CgroupRecord;
  layout: CgroupLayout;
}

// rootfsPropagation: the plain names stay recursive, as they always were in
// carton; the r-variants (runc accepts them, containerd's CRI plugin sets
// "rshared" for Kubernetes Bidirectional volumes) mean the same here.
const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE | MS.REC,
  shared: MS.SHARED | MS.REC,
  slave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE | MS.REC,
  rprivate: MS.PRIVATE | MS.REC,
  rshared: MS.SHARED | MS.REC,
  rslave: MS.SLAVE | MS.REC,
  runbindable: MS.UNBINDABLE | MS.REC,
};

/** A mount destination, made absolute and clean (".." cannot climb above /). */
function dest(d: string): string {
  return path.posix.normalize('/' + d);
}

function planMount(mnt: Mount, i: number, b: Bundle, o: BuildOptions, cgroupNs: boolean, userNs: boolean): PlanMount[] {
  const where = `config.json: /mounts/${i} (${mnt.destination})`;
  const opts = parseOptions(mnt.options);
  const target = dest(mnt.destination);
  const type = mnt.type ?? '';
  const idmap = mountIdmap(mnt, i, opts, b.spec, type === 'bind' || opts.bind);
  if (type === 'cgroup') return cgroupMounts(target, opts.flags, o.layout, o.cgroup, cgroupNs);
  const base = {
    target,
    propagation: opts.propagation,
    attrClr: opts.attrClr,
    attrSet: opts.attrSet,
    data: opts.data.join(','),
  };
  if (type === 'bind' || opts.bind) {
    if (!mnt.source) throw new CartonError(`${where}: a bind mount needs a source`, { kind: 'invalid-config' });
    const source = path.resolve(b.dir, mnt.source);
    try {
      fs.statSync(source);
    } catch (e) {
      throw new CartonError(`${where}: source ${source}: ${errText(e)}`, { kind: 'invalid-config' });
    }
    // In a user namespace (new or joined) the container's root may not reach
    // the source's path: as runc, the runtime opens it (stage A, open_tree).
    // Only a privileged runtime can: open_tree(CLONE) needs CAP_SYS_ADMIN over
    // the host's mount namespace, and a rootless caller reaches nothing more
    // than its container's root does anyway.
    const detached = userNs && !idmap && process.geteuid?.() === 0 ? { detachedSource: true } : {};
    return [
      {
        ...base,
        kind: MountKind.Bind,
        source,
        fstype: '',
        flags: opts.flags | MS.BIND,
        ...(idmap ? { idmap } : {}),
        ...detached,
      },
    ];
  }
  if (!type)
    throw new CartonError(`${where}: mount type is required unless the mount is a bind mount`, {
      kind: 'invalid-config',
    });
  // tmpcopyup means something only for tmpfs (runc ignores it elsewhere);
  // init fills the tmpfs first and applies "ro" itself (copyup.cc).
  if (type === 'tmpfs' && opts.copyup)
    return [{ ...base, kind: MountKind.TmpCopyUp, source: mnt.source ?? type, fstype: type, flags: opts.flags }];
  // runc mounts /dev and every tmpfs writable and makes them read-only only
  // after /dev's nodes, links and console are created in them.
  const deferReadonly = Boolean(opts.flags & MS.RDONLY) && (type === 'tmpfs' || target === '/dev');
  const flags = deferReadonly ? opts.flags & ~MS.RDONLY : opts.flags;
  return [
    {
      ...base,
      kind: MountKind.Fs,
      source: mnt.source ?? type,
      fstype: type,
      flags,
      ...(deferReadonly ? { deferReadonly } : {}),
    },
  ];
}

/**
 * No mount namespace at all (neither new nor joined): as runc, the mounts go
 * into the rootfs in the runtime's own mount namespace and the process is
 * chroot()ed there (no pivot_root; `delete` detaches those mounts again).
 * What would change the runtime's own mounts is refused: runc's own refusal
 * for masked and read-only paths, and a read-only "/" or --no-pivot, which
 * would remount or move the host's mount.
 */
function checkNoMountNs(spec: Bundle['spec'], o: BuildOptions): void {
  const linux = spec.linux ?? {};
  const need = (what: string) =>
    new CartonError(`config.json: ${what} needs a "mount" namespace (new or joined)`, { kind: 'invalid-config' });
  if (linux.maskedPaths?.length) throw need('/linux/maskedPaths');
  if (linux.readonlyPaths?.length) throw need('/linux/readonlyPaths');
  if (spec.root?.readonly) throw need('/root/readonly');
  if (linux.rootfsPropagation) throw need('/linux/rootfsPropagation');
  if (o.noPivot)
    throw new CartonError('--no-pivot: the config has no "mount" namespace; the process is chroot()ed without one', {
      kind: 'usage',
    });
}

export function buildPlan(b: Bundle, o: BuildOptions): Plan {
  const { spec } = b;
  const proc = spec.process!;
  const linux = spec.linux ?? {};
  const nsJoin: Plan['nsJoin'] = [];
  let nsNew = 0;
  for (const [i, ns] of (linux.namespaces ?? []).entries()) {
    const flag = NAMESPACES[ns.type];
    if (flag === undefined)
      throw new CartonError(`config.json: /linux/namespaces/${i}/type: unknown namespace "${ns.type}"`, {
        kind: 'invalid-config',
        field: `linux.namespaces[${i}].type`,
      });
    if (ns.path) nsJoin.push({ flag, path: ns.path });
    else nsNew |= flag;
  }
  // A namespace joined by path counts as the container's own, as in runc
  // (configs.Namespaces.Contains): a hostname may be set in a joined uts
  // namespace, and a joined mount namespace is set up and pivoted in.
  const has = (flag: number) => Boolean(nsNew & flag) || nsJoin.some((j) => j.flag === flag);
  const mountNs = has(CLONE.NEWNS);
  if (spec.hostname && !has(CLONE.NEWUTS))
    throw new CartonError('config.json: /hostname needs a "uts" namespace (new or joined)', { kind: 'invalid-config' });
  if (spec.domainname && !has(CLONE.NEWUTS))
    throw new CartonError('config.json: /domainname needs a "uts" namespace (new or joined)', {
      kind: 'invalid-config',
    });
  if (!mountNs) checkNoMountNs(spec, o);
  const userNs = Boolean(nsNew & CLONE.NEWUSER);
  const cgroupNs = Boolean(nsNew & CLONE.NEWCGROUP);

  const mounts = (spec.mounts ?? []).flatMap((m, i) => planMount(m, i, b, o, cgroupNs, has(CLONE.NEWUSER)));
  const devMount = (spec.mounts ?? []).find((m) => dest(m.destination) === '/dev');
  const setupDev =
    devMount !== undefined &&
    devMount.type !== 'bind' &&
    !(devMount.options ?? []).some((x) => x === 'bind' || x === 'rbind');

  const first = 3 + o.preserved;
  return {
    nsJoin,
    nsNew,
    // runc sets them only when non-empty
    hostname: spec.hostname || undefined,
    domainname: spec.domainname || undefined,
    rootfs: b.rootfs,
    rootReadonly: Boolean(spec.root?.readonly),
    rootfsPropagation: (linux.rootfsPropagation && PROPAGATION[linux.rootfsPropagation]) || MS.SLAVE | MS.REC,
    noPivot: o.noPivot,
    mounts,
    devices: setupDev ? planDevices(linux.devices, userNs) : [],
    symlinks: setupDev ? defaultSymlinks() : [],
    maskedPaths: linux.maskedPaths ?? [],
    readonlyPaths: linux.readonlyPaths ?? [],
    sysctl: Object.entries(linux.sysctl ?? {}),
    ...planProcess(proc, 'config.json: /process'),
    // init's table: preserved fds, then the exec fifo, the console socket
    // (when any), the plan and the sync socket (see addon spawnInit).
    fds: { fifo: first, console: o.console ? first + 1 : NO_FD, sync: first + (o.console ? 3 : 2), firstOwn: first },
    sessionKeyring: o.noNewKeyring ? undefined : `_ses.${o.id}`,
    timeOffsets: Object.entries(linux.timeOffsets ?? {}).map(([clock, v]) => {
      if (CLOCKS[clock] === undefined)
        throw new CartonError(`config.json: /linux/timeOffsets: unknown clock "${clock}"`, { kind: 'invalid-config' });
      return { clock: CLOCKS[clock], secs: BigInt(v.secs ?? 0), nsecs: v.nanosecs ?? 0 };
    }),
    seccomp: planSeccomp(linux.seccomp, Boolean(proc.noNewPrivileges)),
    netDevices: netDevices(spec),
    attrs: processAttrs(spec),
    host: hostFacts(userNs ? 'new' : nsJoin.some((j) => j.flag === CLONE.NEWUSER) ? 'joined' : 'none'),
  };
}
