// Operations on a live container's cgroup, whichever driver made it: its
// processes, freezing, killing everything at once, the OOM counter. They
// read and write only the directories the record names.
import * as fs from 'fs';
import * as path from 'path';
import { writeRaw, reader } from './files';
import { hostLayout } from './mounts';
import type { CgroupRecord } from './types';

/** Host pids in the container's cgroup (from the first hierarchy that lists them). */
export function processes(rec: CgroupRecord): number[] {
  const order = ['', ...Object.keys(rec.dirs).filter((k) => k !== '')];
  for (const k of order) {
    const dir = rec.dirs[k];
    if (!dir) continue;
    try {
      return fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      continue;
    }
  }
  return [];
}

export { freeze, isFrozen, thaw } from './freezer';

/**
 * SIGKILL everything at once through cgroup.kill (cgroup2, also on hybrid
 * hosts: the container has a cgroup2 directory there). False when the
 * kernel has no cgroup.kill, so the caller signals pid by pid.
 */
export function killAll(rec: CgroupRecord): boolean {
  const d = rec.dirs[''];
  if (!d) return false;
  try {
    writeRaw(path.join(d, 'cgroup.kill'), '1');
    return true;
  } catch {
    return false;
  }
}

/** How many OOM kills the container's memory cgroup has seen (v1 memory.oom_control, v2 memory.events). */
export function oomKills(rec: CgroupRecord): number {
  const layout = hostLayout();
  const h = layout.v1.find((x) => x.controllers.includes('memory'));
  const v1dir = h && rec.dirs[h.controllers.join(',')];
  const v2dir = rec.dirs[''];
  const text = v1dir ? reader(v1dir)('memory.oom_control') : v2dir ? reader(v2dir)('memory.events') : undefined;
  return Number(/^oom_kill (\d+)$/m.exec(text ?? '')?.[1] ?? 0);
}

/** False once the container's cgroup is gone (`events` stops then). */
export function exists(rec: CgroupRecord): boolean {
  return Object.values(rec.dirs).some((d) => fs.existsSync(d));
}
