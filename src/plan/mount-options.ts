// mounts[].options -> mount(2) flags, propagation, recursive mount_setattr
// attributes and the leftover data string, with runc's option table.
import { MOUNT_ATTR, MS } from './linux';

export interface ParsedOptions {
  flags: number;
  clear: number;
  propagation: number;
  attrSet: number;
  attrClr: number;
  data: string[];
  bind: boolean;
  /** "idmap"/"ridmap": an id-mapped mount (not a mount(2) option), applied recursively for ridmap */
  idmap?: 'idmap' | 'ridmap';
  /** "tmpcopyup": a tmpfs that starts with a copy of the image's directory */
  copyup?: boolean;
}

const SET: Record<string, number> = {
  ro: MS.RDONLY,
  nosuid: MS.NOSUID,
  nodev: MS.NODEV,
  noexec: MS.NOEXEC,
  sync: MS.SYNCHRONOUS,
  dirsync: MS.DIRSYNC,
  remount: MS.REMOUNT,
  mand: MS.MANDLOCK,
  noatime: MS.NOATIME,
  nodiratime: MS.NODIRATIME,
  bind: MS.BIND,
  rbind: MS.BIND | MS.REC,
  relatime: MS.RELATIME,
  strictatime: MS.STRICTATIME,
  lazytime: MS.LAZYTIME,
  nosymfollow: MS.NOSYMFOLLOW,
  silent: MS.SILENT,
};

const CLEAR: Record<string, number> = {
  rw: MS.RDONLY,
  suid: MS.NOSUID,
  dev: MS.NODEV,
  exec: MS.NOEXEC,
  async: MS.SYNCHRONOUS,
  atime: MS.NOATIME,
  diratime: MS.NODIRATIME,
  norelatime: MS.RELATIME,
  nostrictatime: MS.STRICTATIME,
  nolazytime: MS.LAZYTIME,
  symfollow: MS.NOSYMFOLLOW,
  loud: MS.SILENT,
  nomand: MS.MANDLOCK,
};

/** Propagation words -> MS_* (shared with the shim's rootfs mounts, src/shim/task/mounts.ts). */
export const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

/** Recursive variants applied with mount_setattr(AT_RECURSIVE): [set, clear]. */
const RECURSIVE: Record<string, [number, number]> = {
  rro: [MOUNT_ATTR.RDONLY, 0],
  rrw: [0, MOUNT_ATTR.RDONLY],
  rnosuid: [MOUNT_ATTR.NOSUID, 0],
  rsuid: [0, MOUNT_ATTR.NOSUID],
  rnodev: [MOUNT_ATTR.NODEV, 0],
  rdev: [0, MOUNT_ATTR.NODEV],
  rnoexec: [MOUNT_ATTR.NOEXEC, 0],
  rexec: [0, MOUNT_ATTR.NOEXEC],
  rnodiratime: [MOUNT_ATTR.NODIRATIME, 0],
  rdiratime: [0, MOUNT_ATTR.NODIRATIME],
  rnoatime: [MOUNT_ATTR.NOATIME, 0],
  ratime: [0, MOUNT_ATTR.NOATIME],
  rstrictatime: [MOUNT_ATTR.STRICTATIME, 0],
  rnostrictatime: [0, MOUNT_ATTR.STRICTATIME],
  rnosymfollow: [MOUNT_ATTR.NOSYMFOLLOW, 0],
  rsymfollow: [0, MOUNT_ATTR.NOSYMFOLLOW],
};

export const KNOWN_OPTIONS = [
  ...Object.keys(SET),
  ...Object.keys(CLEAR),
  ...Object.keys(PROPAGATION),
  ...Object.keys(RECURSIVE),
  'tmpcopyup',
].sort();

export function parseOptions(options: string[] | undefined): ParsedOptions {
  const p: ParsedOptions = { flags: 0, clear: 0, propagation: 0, attrSet: 0, attrClr: 0, data: [], bind: false };
  // Own keys only: "constructor" or "toString" are not mount options.
  const own = <T>(r: Record<string, T>, k: string): T | undefined => (Object.hasOwn(r, k) ? r[k] : undefined);
  for (const o of options ?? []) {
    const set = own(SET, o);
    const clear = own(CLEAR, o);
    const propagation = own(PROPAGATION, o);
    const recursive = own(RECURSIVE, o);
    if (set !== undefined) {
      p.flags |= set;
      p.clear &= ~set;
      if (o === 'bind' || o === 'rbind') p.bind = true;
    } else if (clear !== undefined) {
      p.flags &= ~clear;
      p.clear |= clear;
    } else if (propagation !== undefined) {
      p.propagation |= propagation;
    } else if (recursive !== undefined) {
      p.attrSet |= recursive[0];
      p.attrClr |= recursive[1];
    } else if (o === 'tmpcopyup') {
      // runc's extension: a tmpfs filled with the image's files (native/init/copyup.cc).
      p.copyup = true;
    } else if (o === 'idmap' || o === 'ridmap') {
      if (p.idmap !== 'ridmap') p.idmap = o;
    } else {
      p.data.push(o);
    }
  }
  return p;
}
