// Plan -> the versioned binary format of native/init/plan.h. Pure and
// deterministic, so it is unit-tested byte for byte.
import { CartonError } from '../errors';
import { encodeExtensions } from './encode-ext';
import type { Plan } from './types';

export const PLAN_VERSION = 1;
export const NO_FD = 0xffffffff;
const NO_UMASK = 0xffffffff;
/** T_MOUNT kind bit (plan.h): remount read-only only after /dev is set up */
const MOUNT_DEFER_RDONLY = 0x100;
/** T_MOUNT kind bit: stage A opens the bind source (open_tree) in the runtime's user namespace */
const MOUNT_DETACHED_SOURCE = 0x200;

const T = {
  NS_JOIN: 1, NS_NEW: 2, HOSTNAME: 3, DOMAINNAME: 4, ROOTFS: 5, ROOT_READONLY: 6, ROOTFS_PROPAGATION: 7,
  NO_PIVOT: 8, MOUNT: 9, DEVICE: 10, SYMLINK: 11, MASKED_PATH: 12, READONLY_PATH: 13, SYSCTL: 14, CWD: 15,
  ARG: 16, ENV: 17, USER: 18, RLIMIT: 19, CAPS: 20, NO_NEW_PRIVS: 21, OOM_SCORE_ADJ: 22, TERMINAL: 23, FDS: 24,
  TIME_OFFSET: 25, SESSION_KEYRING: 26, SECCOMP: 27, EXEC: 40, HOOKS_PAUSE: 41, HOOK: 42, TRACE: 43,
} as const;

/** Builds one record's payload from u32/i32/u64/string pieces. */
export class Payload {
  parts: Buffer[] = [];
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    this.parts.push(b);
    return this;
  }
  i32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.parts.push(b);
    return this;
  }
  u64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, v));
    this.parts.push(b);
    return this;
  }
  i64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(v);
    this.parts.push(b);
    return this;
  }
  /** The rest of the payload. */
  str(s: string, what: string): this {
    const b = Buffer.from(s, 'utf8');
    if (b.includes(0)) throw new CartonError(`${what}: contains a NUL byte`, { kind: 'invalid-config' });
    this.parts.push(b);
    return this;
  }
  /** Binary bytes, the rest of the payload. */
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  /** A length-prefixed string. */
  lstr(s: string, what: string): this {
    const b = Buffer.from(s, 'utf8');
    if (b.includes(0)) throw new CartonError(`${what}: contains a NUL byte`, { kind: 'invalid-config' });
    this.u32(b.length);
    this.parts.push(b);
    return this;
  }
}

export function encodePlan(p: Plan): Buffer {
  const records: Buffer[] = [];
  const rec = (tag: number, body: Payload = new Payload()) => {
    const payload = Buffer.concat(body.parts);
    const h = Buffer.alloc(8);
    h.writeUInt16LE(tag, 0);
    h.writeUInt16LE(0, 2);
    h.writeUInt32LE(payload.length, 4);
    records.push(h, payload);
  };
  const P = () => new Payload();

  rec(T.FDS, P().u32(p.fds.sync).u32(p.fds.fifo).u32(p.fds.console).u32(p.fds.firstOwn));
  for (const j of p.nsJoin) rec(T.NS_JOIN, P().u32(j.flag).str(j.path, 'linux.namespaces path'));
  rec(T.NS_NEW, P().u32(p.nsNew));
  for (const t of p.timeOffsets) rec(T.TIME_OFFSET, P().u32(t.clock).i64(t.secs).u32(t.nsecs));
  if (p.oomScoreAdj !== undefined) rec(T.OOM_SCORE_ADJ, P().i32(p.oomScoreAdj));
  if (p.hostname !== undefined) rec(T.HOSTNAME, P().str(p.hostname, 'hostname'));
  if (p.domainname !== undefined) rec(T.DOMAINNAME, P().str(p.domainname, 'domainname'));
  if (p.exec) rec(T.EXEC);
  else {
    rec(T.ROOTFS, P().str(p.rootfs, 'root.path'));
    rec(T.ROOTFS_PROPAGATION, P().u32(p.rootfsPropagation));
  }
  if (p.hooksPause) rec(T.HOOKS_PAUSE);
  if (p.trace) rec(T.TRACE);
  for (const h of p.hooks ?? []) {
    const b = P().u32(h.kind).u32(h.timeout).u32(h.args.length).u32(h.env.length).lstr(h.path, 'hooks path');
    for (const a of h.args) b.lstr(a, 'hooks args');
    for (const e of h.env) b.lstr(e, 'hooks env');
    rec(T.HOOK, b);
  }
  if (p.noPivot) rec(T.NO_PIVOT);
  for (const m of p.mounts) {
    rec(
      T.MOUNT,
      P().u32(m.kind | (m.deferReadonly ? MOUNT_DEFER_RDONLY : 0) | (m.detachedSource ? MOUNT_DETACHED_SOURCE : 0)).u32(m.flags).u32(m.propagation).u32(m.attrClr).u32(m.attrSet)
        .lstr(m.source, 'mounts source').lstr(m.target, 'mounts destination').lstr(m.fstype, 'mounts type').lstr(m.data, 'mounts options'),
    );
  }
  for (const d of p.devices) {
    rec(T.DEVICE, P().u32(d.type.charCodeAt(0)).u32(d.major).u32(d.minor).u32(d.mode).u32(d.uid).u32(d.gid).u32(d.bind ? 1 : 0).str(d.path, 'linux.devices path'));
  }
  for (const s of p.symlinks) rec(T.SYMLINK, P().lstr(s.target, 'symlink').str(s.path, 'symlink'));
  for (const m of p.maskedPaths) rec(T.MASKED_PATH, P().str(m, 'linux.maskedPaths'));
  for (const r of p.readonlyPaths) rec(T.READONLY_PATH, P().str(r, 'linux.readonlyPaths'));
  for (const [k, v] of p.sysctl) rec(T.SYSCTL, P().lstr(k, 'linux.sysctl').str(v, `linux.sysctl ${k}`));
  if (p.terminal) rec(T.TERMINAL, P().u32(p.terminal.rows).u32(p.terminal.cols));
  rec(T.CWD, P().str(p.cwd, 'process.cwd'));
  for (const a of p.args) rec(T.ARG, P().str(a, 'process.args'));
  for (const e of p.env) rec(T.ENV, P().str(e, 'process.env'));
  const u = P().u32(p.user.uid).u32(p.user.gid).u32(p.user.umask ?? NO_UMASK).u32(p.user.additionalGids.length);
  for (const g of p.user.additionalGids) u.u32(g);
  rec(T.USER, u);
  for (const r of p.rlimits) rec(T.RLIMIT, P().u32(r.resource).u64(r.soft).u64(r.hard));
  rec(T.CAPS, P().u64(p.caps.bounding).u64(p.caps.effective).u64(p.caps.inheritable).u64(p.caps.permitted).u64(p.caps.ambient));
  if (p.noNewPrivileges) rec(T.NO_NEW_PRIVS);
  if (p.sessionKeyring !== undefined) rec(T.SESSION_KEYRING, P().str(p.sessionKeyring, 'session keyring'));
  if (p.rootReadonly) rec(T.ROOT_READONLY);
  if (p.seccomp) rec(T.SECCOMP, P().u32(p.seccomp.flags).u32(p.seccomp.stage).raw(p.seccomp.program));
  encodeExtensions(p, rec);

  const body = Buffer.concat(records);
  const header = Buffer.alloc(16);
  header.write('CRTNPLAN', 0, 'latin1');
  header.writeUInt32LE(PLAN_VERSION, 8);
  header.writeUInt32LE(16 + body.length, 12);
  return Buffer.concat([header, body]);
}
