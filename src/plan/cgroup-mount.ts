// A `cgroup` mount in config.json means "the container's view of its
// cgroups". On a v2 host that is one cgroup2 mount; on v1 and hybrid hosts it
// is a tmpfs with one mount per v1 hierarchy, as runc builds it. With a cgroup
// namespace the hierarchies are mounted fresh (rooted at the container's
// cgroup by the kernel); without one, the container's own directories are
// bind-mounted so it still cannot see its siblings.
import * as path from 'path';
import { CartonError } from '../errors';
import type { CgroupLayout } from '../cgroups/mounts';
import type { CgroupRecord } from '../cgroups/types';
import { MS } from './linux';
import { MountKind, type PlanMount } from './types';

/** The container's cgroup directory to bind-mount; without one (a rootless caller could not create it) there is nothing to show. */
function dirOf(rec: CgroupRecord, key: string, dest: string): string {
  const d = rec.dirs[key];
  if (d === undefined)
    throw new CartonError(
      `mount ${dest}: the container has no ${key || 'cgroup2'} cgroup to bind-mount (add a cgroup namespace)`,
      { kind: 'host-lacks' },
    );
  return d;
}

function m(kind: MountKind, source: string, target: string, fstype: string, flags: number, data = ''): PlanMount {
  return { kind, source, target, fstype, flags, propagation: 0, attrClr: 0, attrSet: 0, data };
}

export function cgroupMounts(
  dest: string,
  flags: number,
  layout: CgroupLayout,
  rec: CgroupRecord,
  cgroupNs: boolean,
): PlanMount[] {
  const base = flags & (MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RELATIME);
  const ro = flags & MS.RDONLY;
  if (layout.mode === 'v2') {
    if (cgroupNs) return [m(MountKind.Fs, 'cgroup', dest, 'cgroup2', flags)];
    return [m(MountKind.Bind, dirOf(rec, '', dest), dest, '', MS.BIND | MS.REC | flags)];
  }
  const out: PlanMount[] = [m(MountKind.Fs, 'tmpfs', dest, 'tmpfs', base, 'mode=755')];
  for (const h of layout.v1) {
    const name = h.controllers.map((c) => c.replace(/^name=/, '')).join(',');
    const target = path.posix.join(dest, name);
    if (cgroupNs) {
      const [only, ...more] = h.controllers;
      const data = !more.length && only?.startsWith('name=') ? `none,${only}` : h.controllers.join(',');
      out.push(m(MountKind.Fs, 'cgroup', target, 'cgroup', base | ro, data));
    } else {
      out.push(m(MountKind.Bind, dirOf(rec, h.controllers.join(','), dest), target, '', MS.BIND | base | ro));
    }
  }
  if (ro) out.push(m(MountKind.Remount, '', dest, '', base | MS.RDONLY));
  return out;
}
