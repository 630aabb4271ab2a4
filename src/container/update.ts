// `update`: new limits for a live container. The given groups are merged
// into the resources recorded at create time (so e.g. a new memory limit is
// converted against the recorded swap on v2, as runc's full re-apply does),
// written, and recorded again for the next update.
import * as fs from 'fs';
import * as path from 'path';
import { CartonError } from '../errors';
import * as cgroups from '../cgroups/manager';
import type { Resources } from '../cgroups/types';
import type { Spec } from '../spec/types';
import { parseExact, stringifyExact } from '../spec/exact-json';
import { atomicWrite, type Store } from '../state/store';
import { statusOf } from '../state/status';

/** Object groups merge field by field; arrays and maps (devices, hugepageLimits, unified...) replace. */
export function merge(old: Resources, upd: Resources): Resources {
  const out: Record<string, unknown> = { ...old };
  for (const [k, v] of Object.entries(upd)) {
    const prev = out[k];
    const plain = (x: unknown) => typeof x === 'object' && x !== null && !Array.isArray(x);
    out[k] = plain(v) && plain(prev) && k !== 'unified' && k !== 'rdma' ? { ...(prev as object), ...(v as object) } : v;
  }
  return out;
}

export function update(store: Store, id: string, upd: Resources): void {
  const lock = store.lock(id, true);
  try {
    const s = store.read(id);
    if (statusOf(s, store.fifo(id)) === 'stopped')
      throw new CartonError('container not running', { kind: 'bad-state' });
    const file = path.join(store.dir(id), 'config.json');
    // exact: the seccomp values in this copy are what later execs compile
    const spec = parseExact(fs.readFileSync(file, 'utf8')) as Spec;
    // runc 1.1.5 reads a pids limit of 0 in an update as "not given".
    if (upd.pids?.limit === 0) delete upd.pids;
    // runc's update sends every memory field it was not given as 0, and
    // unlimited memory with swap 0 is unlimited memory+swap: without this the
    // recorded swap would be merged in and v1 refuses memory > memsw (EINVAL).
    if (upd.memory?.limit === -1 && upd.memory.swap === undefined) upd.memory = { ...upd.memory, swap: -1 };
    const merged = merge(spec.linux?.resources ?? {}, upd);
    // Write only the groups named in the update, with their merged values.
    const only = Object.fromEntries(
      Object.keys(upd).map((k) => [k, (merged as Record<string, unknown>)[k]]),
    ) as Resources;
    cgroups.update(s.cgroup, only);
    spec.linux = { ...spec.linux, resources: merged };
    atomicWrite(file, stringifyExact(spec));
  } finally {
    lock.release();
  }
}
