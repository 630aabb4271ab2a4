// `kill`: signal the container's init through a pidfd opened only after the
// pid's start time matched, so a recycled pid is never signalled. --all
// signals every process in the container's cgroup.
import { CartonError, errCode } from '../errors';
import { addon } from '../native';
import * as cgroups from '../cgroups/manager';
import type { StoredState, Store } from '../state/store';
import { isAlive, procStat, statusOf } from '../state/status';

/** Signal the init if it is still the same process. Returns false if it is gone. */
export function signalInit(s: StoredState, sig: number): boolean {
  let pidfd: number;
  try {
    pidfd = addon().pidfdOpen(s.pid);
  } catch (e) {
    if (errCode(e) === 'ESRCH') return false;
    throw e;
  }
  try {
    if (!isAlive(s)) return false;
    addon().pidfdSendSignal(pidfd, sig);
    return true;
  } catch (e) {
    if (errCode(e) === 'ESRCH') return false;
    throw e;
  } finally {
    addon().close(pidfd);
  }
}

const SIGKILL = 9;

/**
 * Every process in the container's cgroup. SIGKILL goes through
 * cgroup.kill where the kernel has it (atomic: nothing can fork out of the
 * way). Otherwise the cgroup is frozen while the pids are signalled, as
 * runc does, so none can fork a child that the list misses; a container
 * that was paused stays paused.
 */
export function signalAll(s: StoredState, sig: number): void {
  // Frozen tasks only die once thawed, so SIGKILL always ends with a thaw.
  const thawIfFrozen = () => {
    try {
      if (cgroups.isFrozen(s.cgroup)) cgroups.thaw(s.cgroup);
    } catch {
      // no freezer
    }
  };
  if (sig === SIGKILL && cgroups.killAll(s.cgroup)) return thawIfFrozen();
  // Signal 0 delivers nothing: there is nothing to send to the others.
  if (sig === 0) return;
  let froze = false;
  try {
    if (!cgroups.isFrozen(s.cgroup)) {
      cgroups.freeze(s.cgroup);
      froze = true;
    }
  } catch {
    // no freezer: signal without it
  }
  try {
    for (const pid of cgroups.processes(s.cgroup)) {
      try {
        if (procStat(pid)) process.kill(pid, sig);
      } catch {
        // exited meanwhile
      }
    }
  } finally {
    if (froze) cgroups.thaw(s.cgroup);
    else if (sig === SIGKILL) thawIfFrozen();
  }
}

export function kill(store: Store, id: string, sig: number, all: boolean): void {
  const lock = store.lock(id, false);
  try {
    const s = store.read(id);
    // runc 1.1.5: --all on a stopped container signals whatever is left in
    // its cgroup and succeeds; a single signal to a stopped init is an error.
    const stopped = statusOf(s, store.fifo(id)) === 'stopped';
    if (stopped && !all) throw new CartonError('container not running', { kind: 'bad-state' });
    if (all) signalAll(s, sig);
    if (stopped) return;
    if (!signalInit(s, sig) && !all) throw new CartonError('container not running', { kind: 'bad-state' });
  } finally {
    lock.release();
  }
}
