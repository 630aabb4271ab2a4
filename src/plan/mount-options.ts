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
  ro: MS.RDONLY, nosuid: MS.NOSUID, nodev: MS.NODEV, noexec: MS.NOEXEC, sync: MS.SYNCHRONOUS,
  dirsync: MS.DIRSYNC, remount: MS.REMOUNT, mand: MS.MANDLOCK, noatime: MS.NOATIME, nodiratime: MS.NODIRATIME,
  bind: MS.BIND, rbind: MS.BIND | MS.REC, relatime: MS.RELATIME, strictatime: MS.STRICTATIME,
  lazytime: MS.LAZYTIME, nosymfollow: MS.NOSYMFOLLOW, silent: MS.SILENT,
};

const CLEAR: Record<string, number> = {
  rw: MS.RDONLY, suid: MS.NOSUID, dev: MS.NODEV, exec: MS.NOEXEC, async: MS.SYNCHRONOUS, atime: MS.NOATIME,
  diratime: MS.NODIRATIME, norelatime: MS.RELATIME, nostrictatime: MS.STRICTATIME, nolazytime: MS.LAZYTIME,
  symfollow: MS.NOSYMFOLLOW, loud: MS.SILENT, nomand: MS.MANDLOCK,
};

const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

/** Recursive variants applied with mount_setattr(AT_RECURSIVE): [set, clear]. */
const RECURSIVE: Record<string, [number, number]> = {
  rro: [MOUNT_ATTR.RDONLY, 0], rrw: [0, MOUNT_ATTR.RDONLY],
  rnosuid: [MOUNT_ATTR.NOSUID, 0], rsuid: [0, MOUNT_ATTR.NOSUID],
  rnodev: [MOUNT_ATTR.NODEV, 0], rdev: [0, MOUNT_ATTR.NODEV],
  rnoexec: [MOUNT_ATTR.NOEXEC, 0], rexec: [0, MOUNT_ATTR.NOEXEC],
  rnodiratime: [MOUNT_ATTR.NODIRATIME, 0], rdiratime: [0, MOUNT_ATTR.NODIRATIME],
  rnoatime: [MOUNT_ATTR.NOATIME, 0], ratime: [0, MOUNT_ATTR.NOATIME],
  rstrictatime: [MOUNT_ATTR.STRICTATIME, 0], rnostrictatime: [0, MOUNT_ATTR.STRICTATIME],
  rnosymfollow: [MOUNT_ATTR.NOSYMFOLLOW, 0], rsymfollow: [0, MOUNT_ATTR.NOSYMFOLLOW],
};

export const KNOWN_OPTIONS = [
  ...Object.keys(SET), ...Object.keys(CLEAR), ...Object.keys(PROPAGATION), ...Object.keys(RECURSIVE), 'tmpcopyup',
].sort();

export function parseOptions(options: string[] | undefined, where: string): ParsedOptions {
  const p: ParsedOptions = { flags: 0, clear: 0, propagation: 0, attrSet: 0, attrClr: 0, data: [], bind: false };
  for (const o of options ?? []) {
    if (o in SET) {
      p.flags |= SET[o];
      p.clear &= ~SET[o];
      if (o === 'bind' || o === 'rbind') p.bind = true;
    } else if (o in CLEAR) {
      p.flags &= ~CLEAR[o];
      p.clear |= CLEAR[o];
    } else if (o in PROPAGATION) {
      p.propagation |= PROPAGATION[o];
    } else if (o in RECURSIVE) {
      p.attrSet |= RECURSIVE[o][0];
      p.attrClr |= RECURSIVE[o][1];
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
