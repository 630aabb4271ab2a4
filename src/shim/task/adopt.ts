// Per-container records that let a respawned serving shim re-adopt the
// containers of the one that crashed (src/shim/keeper.ts has the rest):
// <keeper dir>/tasks/<id>.json, rewritten whenever the container changes
// (create, exec added/started/deleted, each exit). The new process rebuilds
// each Container from it, takes back the fds the keeper held (stdin relays,
// pty masters, terminal output), and learns each exit: a recorded one, the
// keeper's record of a process it reaped while no shim ran, or a watch on a
// process still running. Requests the dead process was in the middle of are
// answered again (Wait) or with UNAVAILABLE (ttrpc/server.ts, serve.ts): a
// Create cut short may leave its carton state behind, unadopted.
import { procStat } from '../../state/status';
import { Container } from './container';
import { watchOOM } from './oom';
import { Proc } from './process';
import { PtyRelay } from './pty';
import type { Tasks } from './service';
import { ProcessIO, type StdioPaths } from './stdio';

interface ProcRecord {
  execId: string;
  pid: number;
  /** /proc/<pid>/stat starttime: a reused pid is not ours */
  start?: string;
  stdio: StdioPaths;
  spec?: unknown;
  exitStatus?: number;
  exitedAt?: number;
}

interface TaskRecord {
  id: string;
  bundle: string;
  mountedRootfs?: string;
  sharedPidCgroups?: Array<[string, string]>;
  init: ProcRecord;
  execs: ProcRecord[];
}

const startTimes = new WeakMap<Proc, string>();

function recordOf(p: Proc): ProcRecord {
  let start = startTimes.get(p);
  if (start === undefined && p.pid > 0 && !p.exitedAt) {
    start = procStat(p.pid)?.startTime;
    if (start !== undefined) startTimes.set(p, start);
  }
  return {
    execId: p.execId,
    pid: p.pid,
    start,
    stdio: p.stdio,
    spec: p.spec,
    exitStatus: p.exitedAt ? p.exitStatus : undefined,
    exitedAt: p.exitedAt?.getTime(),
  };
}

export function saveTask(t: Tasks, c: Container): void {
  if (!t.keeper.active) return;
  const rec: TaskRecord = {
    id: c.id,
    bundle: c.bundle,
    mountedRootfs: c.mountedRootfs,
    sharedPidCgroups: c.sharedPidCgroups,
    init: recordOf(c.init),
    execs: [...c.execs.values()].map(recordOf),
  };
  t.keeper.save('tasks', c.id, rec);
}

/** Rebuilds the containers a crashed predecessor served (none without a keeper, or on a first start). */
export function adoptTasks(t: Tasks): void {
  for (const rec of t.keeper.load<TaskRecord>('tasks')) {
    const procOf = (r: ProcRecord) => {
      const p = new Proc(rec.id, r.execId, r.stdio, r.spec);
      p.pid = r.pid;
      if (r.start !== undefined) startTimes.set(p, r.start);
      return p;
    };
    const c = new Container(rec.id, rec.bundle, procOf(rec.init));
    const records = new Map<Proc, ProcRecord>([[c.init, rec.init]]);
    for (const r of rec.execs) {
      const p = procOf(r);
      c.execs.set(r.execId, p);
      records.set(p, r);
    }
    c.mountedRootfs = rec.mountedRootfs;
    c.sharedPidCgroups = rec.sharedPidCgroups;
    if (c.sharedPidCgroups) t.reaper.orphans = (pid) => t.inSharedPidContainer(pid);
    t.containers.set(c.id, c);
    for (const [p, r] of records) reattach(t, c, p, r);
    if (!c.init.exitedAt) {
      try {
        const cgroup = t.store.read(c.id).cgroup;
        c.stopOOM = watchOOM(cgroup, () => t.publish('/tasks/oom', 'TaskOOM', { containerId: c.id }));
      } catch {
        // deleted by hand meanwhile: State and Delete will say so
      }
    }
  }
}

function reattach(t: Tasks, c: Container, p: Proc, r: ProcRecord): void {
  if (r.exitStatus !== undefined) {
    p.setExited(r.exitStatus);
    if (r.exitedAt) p.exitedAt = new Date(r.exitedAt);
    return;
  }
  // An exec not started (or whose Start died with the predecessor): nothing runs.
  if (!p.pid) return;
  const held = t.held(c, p);
  const k = t.keeper;
  if (p.stdio.terminal) {
    const master = k.take(`${held.prefix}pty`);
    if (master !== undefined)
      p.pty = new PtyRelay(master, k.take(`${held.prefix}fifo`), k.take(`${held.prefix}out`), held, true);
  } else {
    p.io = ProcessIO.adopt(held);
  }
  const st = procStat(p.pid);
  if (st && r.start !== undefined && st.startTime !== r.start && k.exitOf(p.pid) === undefined) {
    // Its pid is someone else's now, and nobody recorded how it ended.
    void t.exited(c, p, { code: 255, signal: 0 });
    return;
  }
  // Running (the keeper's child now), or reaped by the keeper: the reaper reads its record.
  t.reaper.watch(p.pid, (s) => void t.exited(c, p, s));
}
