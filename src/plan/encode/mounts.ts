// Plan records of the mounts concern (decoded by native/init/plan_mounts.cc):
// the rootfs and its propagation, mounts (and their id maps), devices,
// symlinks, masked and read-only paths.
import type { IdMap } from '../../spec/types';
import { MOUNT_KIND_FLAG, TAG } from '../format';
import type { Plan } from '../types';
import { P, type Payload, type Rec } from './payload';

function maps(b: Payload, m: IdMap[]): Payload {
  b.u32(m.length);
  for (const x of m) b.u32(x.containerID).u32(x.hostID).u32(x.size);
  return b;
}

export function encodeMounts(p: Plan, rec: Rec): void {
  // `carton exec` joins the container's mount namespace as it is (init
  // rejects an exec plan that still carries mounts).
  if (!p.exec) {
    rec(TAG.ROOTFS, P().str(p.rootfs, 'root.path'));
    rec(TAG.ROOTFS_PROPAGATION, P().u32(p.rootfsPropagation));
  }
  if (p.rootReadonly) rec(TAG.ROOT_READONLY);
  if (p.noPivot) rec(TAG.NO_PIVOT);
  for (const m of p.mounts) {
    rec(
      TAG.MOUNT,
      P()
        .u32(
          m.kind |
            (m.deferReadonly ? MOUNT_KIND_FLAG.DEFER_RDONLY : 0) |
            (m.detachedSource ? MOUNT_KIND_FLAG.DETACHED_SOURCE : 0),
        )
        .u32(m.flags)
        .u32(m.propagation)
        .u32(m.attrClr)
        .u32(m.attrSet)
        .lstr(m.source, 'mounts source')
        .lstr(m.target, 'mounts destination')
        .lstr(m.fstype, 'mounts type')
        .lstr(m.data, 'mounts options'),
    );
  }
  // After every T_MOUNT: the decoder attaches each to the mount it names by index.
  p.mounts.forEach((m, i) => {
    if (!m.idmap) return;
    const b = P()
      .u32(i)
      .u32(m.idmap.recursive ? 1 : 0);
    rec(TAG.IDMAP_MOUNT, maps(maps(b, m.idmap.uid), m.idmap.gid));
  });
  for (const d of p.devices) {
    rec(
      TAG.DEVICE,
      P()
        .u32(d.type.charCodeAt(0))
        .u32(d.major)
        .u32(d.minor)
        .u32(d.mode)
        .u32(d.uid)
        .u32(d.gid)
        .u32(d.bind ? 1 : 0)
        .str(d.path, 'linux.devices path'),
    );
  }
  for (const s of p.symlinks) rec(TAG.SYMLINK, P().lstr(s.target, 'symlink').str(s.path, 'symlink'));
  for (const m of p.maskedPaths) rec(TAG.MASKED_PATH, P().str(m, 'linux.maskedPaths'));
  for (const r of p.readonlyPaths) rec(TAG.READONLY_PATH, P().str(r, 'linux.readonlyPaths'));
}
