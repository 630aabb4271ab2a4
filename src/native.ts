// The addon's surface. Loaded lazily: state, list and kill never pay for it
// unless they need a pidfd.
import * as path from 'path';
import { nativeDir } from './paths';

export interface WaitStatus {
  /** exit code, or 128+signal for a signal death (runc's convention) */
  code: number;
  signal: number;
}

export interface Addon {
  /**
   * With cgroup2Dir, init is born in that cgroup (clone3 CLONE_INTO_CGROUP);
   * `fallback` names the errno when the kernel could not and posix_spawn ran.
   * With stdio, those fds are init's 0-2 (the shim's fifos); otherwise ours.
   */
  spawnInit(
    initPath: string,
    plan: Buffer,
    fds: number[],
    cgroup2Dir?: string,
    stdio?: [number, number, number],
  ): { pid: number; sync: number; via: 'clone3' | 'posix_spawn'; fallback?: string };
  socketPair(seqpacket: boolean): [number, number];
  connectUnix(path: string): number;
  recvFd(sock: number): number;
  mkfifo(path: string, mode: number): void;
  flock(fd: number, exclusive: boolean, nonblocking: boolean): boolean;
  pidfdOpen(pid: number): number;
  pidfdSendSignal(pidfd: number, sig: number): void;
  pollIn(fd: number, timeoutMs: number): boolean;
  pollEvents(fd: number, events: number, timeoutMs: number): number;
  waitPid(pid: number, nohang: boolean): WaitStatus | null;
  waitPidAsync(pid: number): Promise<WaitStatus>;
  setSubreaper(on: boolean): void;
  setWinsize(fd: number, rows: number, cols: number): void;
  close(fd: number): void;
  /** load a cgroup device eBPF program and attach it to a cgroup2 directory, replacing earlier ones; returns how many it replaced */
  bpfDeviceInstall(cgroupDir: string, insns: Buffer): number;
  bpfDeviceCount(cgroupDir: string): number;
  recvMsg(sock: number): { data: Buffer; fd: number };
  sendFd(sock: number, fd: number, data: Buffer): number;
  compileSeccomp(filter: SeccompFilter): { program: Buffer; skipped: string[] };
  /** mount(2), for the shim's rootfs mounts; empty fstype/data pass NULL */
  mount(source: string, target: string, fstype: string, flags: number, data: string): void;
  umount2(target: string, flags: number): void;
  /** SO_PEERCRED of a connected unix socket */
  peerCred(fd: number): { pid: number; uid: number; gid: number };
}

/** linux.seccomp with every name TypeScript can resolve already a number (src/plan/seccomp.ts). */
export interface SeccompFilter {
  defaultAction: number;
  /** libseccomp's architecture names ("x86_64", ...) */
  arches: string[];
  /** one seccomp_rule_add each; args are ANDed */
  rules: Array<{
    name: string;
    action: number;
    where: string;
    args: Array<{ index: number; op: number; a: bigint; b: bigint }>;
  }>;
  /**
   * runc's ENOSYS stub: per architecture, syscalls numbered above every name
   * here return ENOSYS before the filter runs. Absent: no stub.
   */
  enosysNames?: string[];
}

let loaded: Addon | undefined;
/** where the addon was loaded from, if it was (CARTON_DEBUG_MODULES, finish.ts) */
export let addonFile: string | undefined;

export function addon(): Addon {
  if (!loaded) {
    // process.dlopen, not require: Bun's require resolves the path through
    // its module resolver first, which lists every directory from / down
    // (and the caller's cwd): ~30 syscalls for nothing.
    const file = path.join(nativeDir, 'carton.node');
    const m = { exports: {} as Addon };
    process.dlopen(m, file);
    loaded = m.exports;
    addonFile = file;
  }
  return loaded;
}
