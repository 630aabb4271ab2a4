// `pause` / `resume`: freeze and thaw the container's cgroup (v1 freezer,
// or cgroup.freeze on cgroup2). Status "paused" is then derived from the
// freezer, never stored. Errors keep runc's wording.
import { CartonError } from '../errors';
import * as cgroups from '../cgroups/manager';
import type { Store } from '../state/store';
import { statusOf } from '../state/status';

export function pause(store: Store, id: string): void {
  const lock = store.lock(id, true);
  try {
    const s = store.read(id);
    const st = statusOf(s, store.fifo(id));
    if (st !== 'running' && st !== 'created') throw new CartonError('container not running', { kind: 'bad-state' });
    cgroups.freeze(s.cgroup);
  } finally {
    lock.release();
  }
}

export function resume(store: Store, id: string): void {
  const lock = store.lock(id, true);
  try {
    const s = store.read(id);
    if (statusOf(s, store.fifo(id)) !== 'paused') throw new CartonError('container not paused', { kind: 'bad-state' });
    cgroups.thaw(s.cgroup);
  } finally {
    lock.release();
  }
}
