// OOM: carton's `events` reads the memory cgroup's OOM-kill counter (v1
// memory.oom_control, v2 memory.events); the shim watches the same counter
// and calls `onOOM` once per kill, as containerd's TaskOOM expects. One
// timer serves every container of the shim.
import * as cgroups from '../../cgroups/manager';
import type { CgroupRecord } from '../../cgroups/types';

/** Matches carton events' OOM poll interval. */
const POLL_MS = 100;

interface Watch {
  rec: CgroupRecord;
  seen: number;
  onOOM: () => void;
}
const watches = new Set<Watch>();
let timer: NodeJS.Timeout | undefined;

function check(w: Watch): void {
  const now = safeCount(w.rec);
  for (; w.seen < now; w.seen++) w.onOOM();
}

export function watchOOM(rec: CgroupRecord, onOOM: () => void): () => void {
  const w: Watch = { rec, seen: safeCount(rec), onOOM };
  watches.add(w);
  if (!timer) {
    timer = setInterval(() => watches.forEach(check), POLL_MS);
    // The shim must be able to exit while only this is left.
    timer.unref();
  }
  return () => {
    // A kill that happened just before the stop still counts.
    check(w);
    watches.delete(w);
    if (!watches.size && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

function safeCount(rec: CgroupRecord): number {
  try {
    return cgroups.oomKills(rec);
  } catch {
    return 0;
  }
}
