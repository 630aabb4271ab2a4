// A container without a mount namespace (neither new nor joined) has its
// mounts made inside its rootfs in the runtime's own mount namespace, as runc
// does (chroot, no pivot_root). runc leaves them there after `delete`; carton
// detaches them when the container goes, so nothing is left on the host.
import * as fs from 'fs';
import { addon } from '../native';
import type { Spec } from '../spec/types';

const MNT_DETACH = 2;

export function hasMountNs(spec: Spec): boolean {
  return (spec.linux?.namespaces ?? []).some((n) => n.type === 'mount');
}

function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * Detaches every mount strictly below `rootfs` whose parent is not itself
 * below it (MNT_DETACH takes the rest of each subtree along). A mount on the
 * rootfs itself (an engine's overlay) is the engine's and stays.
 */
export function detachRootfsMounts(path: string): void {
  let rootfs: string;
  try {
    rootfs = fs.realpathSync(path);
  } catch {
    return; // no rootfs, no mounts in it
  }
  const under = (mp: string) => mp.startsWith(rootfs.endsWith('/') ? rootfs : rootfs + '/');
  const byId = new Map<string, { parent: string; mp: string }>();
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [id, parent, , , mp] = line.split(' ');
    if (id !== undefined && parent !== undefined && mp !== undefined) byId.set(id, { parent, mp: unescape(mp) });
  }
  const tops = [...byId.values()].filter((m) => under(m.mp) && !under(byId.get(m.parent)?.mp ?? '/'));
  for (const mp of new Set(tops.map((m) => m.mp))) {
    // several mounts may be stacked on one point: one layer per call
    for (let i = 0; i < 64; i++) {
      try {
        addon().umount2(mp, MNT_DETACH);
      } catch {
        break;
      }
    }
  }
}

/** After the container's process is gone: its host-side mounts go too. */
export function releaseHostMounts(spec: Spec | undefined, rootfs: string): void {
  if (spec && !hasMountNs(spec) && rootfs) detachRootfsMounts(rootfs);
}
