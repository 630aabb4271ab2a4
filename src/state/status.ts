// A container's status is derived from the live process every time, never
// stored: created while the exec fifo exists, paused while frozen, running
// while the init (same pid AND same start time) lives, stopped otherwise.
import * as fs from 'fs';
import { isFrozen } from '../cgroups/freezer';
import type { StoredState } from './store';

export type Status = 'created' | 'running' | 'paused' | 'stopped';

export interface ProcStat {
  state: string;
  ppid: number;
  startTime: string;
}

/** Fields of /proc/<pid>/stat (the one parser of it); the comm field may contain spaces and ')'. */
export function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); starttime is field 22.
  // rest[1] is field 4 (ppid).
  const [state, ppid] = rest;
  const startTime = rest[19];
  return state === undefined || startTime === undefined ? null : { state, ppid: Number(ppid), startTime };
}

export function isAlive(s: StoredState): boolean {
  if (s.pid <= 0) return false;
  const st = procStat(s.pid);
  return st !== null && st.startTime === s.startTime && st.state !== 'Z' && st.state !== 'X';
}

export function statusOf(s: StoredState, fifo: string): Status {
  if (!isAlive(s)) return 'stopped';
  // As runc: a frozen container is paused even before start.
  if (isFrozen(s.cgroup)) return 'paused';
  if (fs.existsSync(fifo)) return 'created';
  return 'running';
}
