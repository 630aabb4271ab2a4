// A container's status is derived from the live process every time, never
// stored: created while the exec fifo exists, paused while frozen, running
// while the init (same pid AND same start time) lives, stopped otherwise.
import * as fs from 'fs';
import * as path from 'path';
import type { StoredState } from './store';

export type Status = 'created' | 'running' | 'paused' | 'stopped';

export interface ProcStat {
  state: string;
  startTime: string;
}

/** Fields of /proc/<pid>/stat; the comm field may contain spaces and ')'. */
export function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); starttime is field 22.
  const [state] = rest;
  const startTime = rest[19];
  return state === undefined || startTime === undefined ? null : { state, startTime };
}

export function isAlive(s: StoredState): boolean {
  if (s.pid <= 0) return false;
  const st = procStat(s.pid);
  return st !== null && st.startTime === s.startTime && st.state !== 'Z' && st.state !== 'X';
}

function frozen(s: StoredState): boolean {
  const dirs = s.cgroup.dirs;
  const v1 = Object.entries(dirs).find(([k]) => k.split(',').includes('freezer'));
  try {
    if (v1) return fs.readFileSync(path.join(v1[1], 'freezer.state'), 'utf8').trim() === 'FROZEN';
    if (dirs['']) return /frozen 1/.test(fs.readFileSync(path.join(dirs[''], 'cgroup.events'), 'utf8'));
  } catch {
    return false;
  }
  return false;
}

export function statusOf(s: StoredState, fifo: string): Status {
  if (!isAlive(s)) return 'stopped';
  // As runc: a frozen container is paused even before start.
  if (frozen(s)) return 'paused';
  if (fs.existsSync(fifo)) return 'created';
  return 'running';
}
