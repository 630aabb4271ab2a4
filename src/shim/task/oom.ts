// OOM: carton's `events` reads the memory cgroup's OOM-kill counter (v1
// memory.oom_control, v2 memory.events); the shim watches the same counter
// and calls `onOOM` once per kill, as containerd's TaskOOM expects.
import * as cgroups from '../../cgroups/manager';
import type { CgroupRecord } from '../../cgroups/types';

/** Matches carton events' OOM poll interval. */
const POLL_MS = 100;

export function watchOOM(rec: CgroupRecord, onOOM: () => void): () => void {
  let seen = safeCount(rec);
  const t = setInterval(() => {
    const now = safeCount(rec);
    for (; seen < now; seen++) onOOM();
  }, POLL_MS);
  // The shim must be able to exit while only this is left.
  t.unref();
  return () => {
    // A kill that happened just before the stop still counts.
    const now = safeCount(rec);
    for (; seen < now; seen++) onOOM();
    clearInterval(t);
  };
}

function safeCount(rec: CgroupRecord): number {
  try {
    return cgroups.oomKills(rec);
  } catch {
    return 0;
  }
}
