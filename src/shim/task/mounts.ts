// Create's rootfs: containerd hands the snapshot as mounts (overlay, bind)
// to put on <bundle>/rootfs. Options are split as containerd's mount
// package does: known words become MS_* flags, the rest is the data string.
// Mounting happens in the shim's own mount namespace, through the addon
// (mount(2)), never by spawning /bin/mount.
import { addon } from '../../native';
import { errText } from '../../errors';
import { MS } from '../../plan/linux';
import { PROPAGATION } from '../../plan/mount-options';
import { Code, ShimError } from '../types';

export interface ContainerdMount {
  type: string;
  source: string;
  target?: string;
  options: string[];
}

/** [clear, flag]: as containerd's mount_linux.go table; clear=true removes the flag. */
const FLAGS: Record<string, [boolean, number]> = {
  async: [true, MS.SYNCHRONOUS],
  atime: [true, MS.NOATIME],
  bind: [false, MS.BIND],
  defaults: [false, 0],
  dev: [true, MS.NODEV],
  diratime: [true, MS.NODIRATIME],
  dirsync: [false, MS.DIRSYNC],
  exec: [true, MS.NOEXEC],
  mand: [false, MS.MANDLOCK],
  noatime: [false, MS.NOATIME],
  nodev: [false, MS.NODEV],
  nodiratime: [false, MS.NODIRATIME],
  noexec: [false, MS.NOEXEC],
  nomand: [true, MS.MANDLOCK],
  norelatime: [true, MS.RELATIME],
  nostrictatime: [true, MS.STRICTATIME],
  nosuid: [false, MS.NOSUID],
  rbind: [false, MS.BIND | MS.REC],
  relatime: [false, MS.RELATIME],
  remount: [false, MS.REMOUNT],
  ro: [false, MS.RDONLY],
  rw: [true, MS.RDONLY],
  strictatime: [false, MS.STRICTATIME],
  suid: [true, MS.NOSUID],
  sync: [false, MS.SYNCHRONOUS],
};

export interface ParsedOptions {
  flags: number;
  propagation: number;
  data: string;
}

export function parseOptions(options: string[]): ParsedOptions {
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  for (const o of options) {
    const f = FLAGS[o];
    if (f) flags = f[0] ? flags & ~f[1] : flags | f[1];
    else if (PROPAGATION[o] !== undefined) propagation |= PROPAGATION[o];
    else data.push(o);
  }
  return { flags, propagation, data: data.join(',') };
}

const MNT_DETACH = 2;

/** Mount `mounts` on `target` in order; on failure the ones made are undone and the error names the mount. */
export function mountAll(mounts: ContainerdMount[], target: string): void {
  let done = 0;
  try {
    for (const [i, m] of mounts.entries()) {
      const { flags, propagation, data } = parseOptions(m.options ?? []);
      try {
        addon().mount(m.source, target, m.type, flags & ~MS.REMOUNT, data);
        done++;
        // A bind ignores MS_RDONLY on the first call: read-only needs a remount, as containerd does.
        if (flags & MS.BIND && flags & MS.RDONLY) addon().mount('', target, '', flags | MS.REMOUNT, '');
        if (propagation) addon().mount('', target, '', propagation, '');
      } catch (e) {
        throw new ShimError(Code.INTERNAL, `rootfs[${i}]: mount ${m.type} ${m.source} to ${target}: ${errText(e)}`);
      }
    }
  } catch (e) {
    for (; done > 0; done--) unmountOne(target);
    throw e;
  }
}

function unmountOne(target: string): boolean {
  try {
    addon().umount2(target, MNT_DETACH);
    return true;
  } catch {
    return false;
  }
}

/** Unmount everything stacked on `target` (containerd's UnmountAll). */
export function unmountAll(target: string): void {
  for (let i = 0; i < 64 && unmountOne(target); i++) {
    // one layer per call
  }
}
