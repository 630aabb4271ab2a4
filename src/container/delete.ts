// `delete`: remove a stopped (or still created) container's cgroup and state.
// A running one needs --force, which kills everything in its cgroup first.
import { CartonError, NotExistError } from '../errors';
import { addon } from '../native';
import * as cgroups from '../cgroups/manager';
import type { StoredState, Store } from '../state/store';
import { isAlive, statusOf } from '../state/status';
import { hookState, runPoststop, savedSpec } from './hooks';
import { releaseHostMounts } from './host-mounts';
import { signalAll, signalInit } from './kill';

const SIGKILL = 9;

/** Wait (bounded) until the init has exited; a pidfd polls readable on exit. */
function waitGone(s: StoredState): void {
  let pidfd: number;
  try {
    pidfd = addon().pidfdOpen(s.pid);
  } catch {
    return;
  }
  try {
    for (let i = 0; i < 100 && isAlive(s); i++) addon().pollIn(pidfd, 100);
  } finally {
    addon().close(pidfd);
  }
  if (isAlive(s)) throw new CartonError(`container ${s.id}: init ${s.pid} did not exit after SIGKILL`);
}

export function destroy(store: Store, s: StoredState): void {
  const spec = savedSpec(store, s.id);
  if (isAlive(s)) {
    signalAll(s, SIGKILL);
    signalInit(s, SIGKILL);
    waitGone(s);
  }
  // Anything else left in the cgroup (exec'd processes) goes too.
  signalAll(s, SIGKILL);
  releaseHostMounts(spec, s.rootfs);
  cgroups.destroy(s.cgroup);
  store.remove(s.id);
  // After the container is gone, before delete returns (config.md, Poststop).
  if (spec) runPoststop(spec, { ...hookState(spec, s.id, s.bundle, 'stopped'), ociVersion: s.ociVersion });
}

export function del(store: Store, id: string, force: boolean): void {
  let lock;
  try {
    lock = store.lock(id, true);
  } catch (e) {
    if (e instanceof NotExistError && force) return;
    throw e;
  }
  try {
    const s = store.read(id);
    const status = statusOf(s, store.fifo(id));
    if ((status === 'running' || status === 'paused') && !force) {
      throw new CartonError(`cannot delete container ${id} that is not stopped: ${status}`, { kind: 'bad-state' });
    }
    destroy(store, s);
  } finally {
    lock.release();
  }
}
