// Reaping: container inits and exec'd processes are the shim's direct
// children (carton-init clones with CLONE_PARENT; the transport makes the
// shim a child subreaper). On SIGCHLD each watched pid is polled with
// waitpid(WNOHANG): no thread per process (waitPidAsync would hold one of
// libuv's four pool threads for each), and pids the shim does not watch
// (libuv's own children, e.g. a binary:// logger) are never reaped here.
// After a crash of the serving shim its processes are the keeper's children
// (src/shim/keeper.ts): their statuses come from the keeper's records.
import * as fs from 'fs';
import { addon, type WaitStatus } from '../../native';
import { errCode } from '../../errors';
import { procStat } from '../../state/status';
import { Keeper } from '../keeper';

export type OnExit = (st: WaitStatus) => void;

const NOT_OURS_POLL_MS = 100;
/** a process gone with no record yet: the keeper writes it just after its waitpid */
const RECORD_GRACE_POLLS = 30;

export class Reaper {
  private readonly watched = new Map<number, OnExit>();
  private readonly onSignal = () => this.reap();
  private poll?: NodeJS.Timeout;
  /** a SIGCHLD listener does not keep Node running: this does while a process is watched */
  private alive?: NodeJS.Timeout;
  private readonly graces = new Map<number, number>();

  constructor(private readonly keeper = Keeper.none()) {
    process.on('SIGCHLD', this.onSignal);
    keeper.onExit(this.onSignal);
  }

  /** Call `cb` once `pid` has exited, with its status (128+N for a signal). */
  watch(pid: number, cb: OnExit): void {
    this.watched.set(pid, cb);
    this.alive ??= setInterval(() => undefined, 1 << 30);
    // It may have exited before we watched it.
    this.reap();
  }

  /**
   * Orphans of a container that shares the host's pid namespace re-parent
   * to the shim (a child subreaper). Their zombies are reaped when `ours`
   * says they sit in a container's cgroup: a child Node spawned itself (a
   * logger, the publish binary) is left to libuv, which waits for it by pid.
   */
  orphans?: (pid: number) => boolean;

  unwatch(pid: number): void {
    this.watched.delete(pid);
  }

  private reap(): void {
    for (const [pid, cb] of [...this.watched]) {
      let st: WaitStatus | null;
      try {
        st = addon().waitPid(pid, true);
      } catch (e) {
        if (errCode(e) !== 'ECHILD') throw e;
        // Not our child: the keeper's (it re-parented there when a
        // predecessor of this process died), which records its status; or
        // nobody's we know, polled until gone and reported as killed.
        const code = this.keeper.exitOf(pid);
        const grace = this.graces.get(pid) ?? (this.keeper.active ? RECORD_GRACE_POLLS : 0);
        const running = procStat(pid) !== null;
        if (code === undefined && (running || grace > 0)) {
          if (!running) this.graces.set(pid, grace - 1);
          this.poll ??= setInterval(() => this.reap(), NOT_OURS_POLL_MS);
          continue;
        }
        this.graces.delete(pid);
        st = { code: code ?? 255, signal: 0 };
      }
      if (!st) continue;
      this.watched.delete(pid);
      cb(st);
    }
    if (this.orphans) this.reapOrphans(this.orphans);
    if (this.watched.size === 0) {
      clearInterval(this.poll);
      this.poll = undefined;
      clearInterval(this.alive);
      this.alive = undefined;
    }
  }

  /** Our zombie children nobody watches (this kernel has no /proc/<pid>/task/<tid>/children: scan /proc). */
  private reapOrphans(ours: (pid: number) => boolean): void {
    for (const name of fs.readdirSync('/proc')) {
      const pid = Number(name);
      if (!pid || this.watched.has(pid)) continue;
      const st = procStat(pid);
      if (st?.state !== 'Z' || st.ppid !== process.pid || !ours(pid)) continue;
      try {
        addon().waitPid(pid, true);
      } catch {
        // reaped meanwhile
      }
    }
  }

  close(): void {
    process.off('SIGCHLD', this.onSignal);
    this.keeper.offExit(this.onSignal);
    clearInterval(this.poll);
    clearInterval(this.alive);
  }
}
