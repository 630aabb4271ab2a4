// `ps`: the container's processes from its cgroup, as a JSON array of host
// pids, or as the host's ps(1) table filtered to those pids (runc's way:
// find the PID column in the header, keep the matching rows).
import { spawnSync } from 'child_process';
import { CartonError, firstLine } from '../errors';
import * as cgroups from '../cgroups/manager';
import type { Store } from '../state/store';

export function pids(store: Store, id: string): number[] {
  const lock = store.lock(id, false);
  try {
    return cgroups.processes(store.read(id).cgroup);
  } finally {
    lock.release();
  }
}

export function table(pidList: number[], psArgs: string[]): string {
  const r = spawnSync('ps', psArgs.length ? psArgs : ['-ef'], { encoding: 'utf8' });
  if (r.error) throw new CartonError(`exec: "ps": ${r.error.message}`, { kind: 'invalid-config' });
  const out = (r.stdout ?? '') + (r.stderr ?? '');
  if (r.status !== 0) throw new CartonError(`exit status ${r.status}: ${firstLine(out.trim())}`);
  const lines = out.split('\n');
  const pidIndex = (lines[0] ?? '').trim().split(/\s+/).indexOf('PID');
  if (pidIndex < 0) throw new CartonError("couldn't find PID field in ps output");
  const want = new Set(pidList);
  const rows = lines.slice(1).filter((l) => l.length > 0 && want.has(Number(l.trim().split(/\s+/)[pidIndex])));
  return [lines[0], ...rows].join('\n') + '\n';
}
