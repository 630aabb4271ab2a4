// `events`: runc's event stream, one JSON object per line:
// {"type":"stats","id":...,"data":{...}} every --interval, and
// {"type":"oom","id":...} whenever the memory cgroup's OOM-kill counter
// grows. --stats prints one stats event and exits. The stream ends when the
// container's cgroup is gone or its init has exited.
import * as fs from 'fs';
import { CartonError } from '../errors';
import * as cgroups from '../cgroups/manager';
import { toJSON } from '../cgroups/driver';
import type { StoredState, Store } from '../state/store';
import { isAlive, statusOf } from '../state/status';

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };

/** Go's time.ParseDuration, in milliseconds ("5s", "1m30s", "250ms"). */
export function parseDuration(s: string): number {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  if (s === '0') return 0;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * (UNITS[m[2] ?? ''] ?? NaN);
    end = re.lastIndex;
  }
  if (!s || end !== s.length)
    throw new CartonError(`invalid value "${s}" for flag -interval: parse error`, { kind: 'usage' });
  return total;
}

function load(store: Store, id: string): StoredState {
  const lock = store.lock(id, false);
  try {
    const s = store.read(id);
    if (statusOf(s, store.fifo(id)) === 'stopped')
      throw new CartonError(`container with id ${id} is not running`, { kind: 'bad-state' });
    return s;
  } finally {
    lock.release();
  }
}

function emit(obj: unknown): void {
  fs.writeSync(1, toJSON(obj) + '\n');
}

export function statsOnce(store: Store, id: string): void {
  const s = load(store, id);
  emit({ type: 'stats', id, data: cgroups.stats(s.cgroup) });
}

/** How often the OOM counter is read between stats events. */
const OOM_POLL_MS = 100;

export function stream(store: Store, id: string, intervalMs: number): Promise<number> {
  const s = load(store, id);
  if (intervalMs <= 0) throw new CartonError('duration interval must be greater than 0', { kind: 'usage' });
  let ooms = cgroups.oomKills(s.cgroup);
  return new Promise((resolve) => {
    const reportOoms = () => {
      const n = cgroups.oomKills(s.cgroup);
      for (; ooms < n; ooms++) emit({ type: 'oom', id });
    };
    const stop = () => {
      clearInterval(stats);
      clearInterval(oom);
      // The kill that ended the container may be an OOM kill not yet polled.
      try {
        reportOoms();
      } catch {
        // the cgroup is gone with the container
      }
      resolve(0);
    };
    const alive = () => cgroups.exists(s.cgroup) && isAlive(s);
    const oom = setInterval(
      () => {
        reportOoms();
        if (!alive()) stop();
      },
      Math.min(OOM_POLL_MS, intervalMs),
    );
    const tick = () => {
      if (!alive()) return stop();
      emit({ type: 'stats', id, data: cgroups.stats(s.cgroup) });
    };
    // As runc: the first stats event comes after one interval.
    const stats = setInterval(tick, intervalMs);
  });
}
