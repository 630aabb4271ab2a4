// `exec`: start one more process in a running container. carton-init joins
// every namespace of the container's init (T_NS_JOIN by /proc/<pid>/ns/*,
// plan T_EXEC), is put into the container's cgroups before 'G', and the
// process execs as soon as it is set up: no exec fifo. The process is our
// direct child (CLONE_PARENT), so a foreground exec waits for it and exits
// with its status; -d writes the pid file and returns.
import * as fs from 'fs';
import * as path from 'path';
import { CartonError, SetupError, errText } from '../errors';
import { debug, debugEnabled, phase } from '../log';
import { describePlan } from './describe';
import { addon } from '../native';
import type { CgroupRecord } from '../cgroups/types';
import { encodePlan } from '../plan/encode';
import { buildExecPlan } from '../plan/exec';
import type { Process, Spec } from '../spec/types';
import { parseConfig, validateProcess } from '../spec/validate';
import type { Store } from '../state/store';
import { isAlive, statusOf } from '../state/status';
import { writePidFile } from '../state/store';
import { savedSpec } from './hooks';
import { InitChannel, MSG } from './init-channel';
import { launchInit, openConsole } from './launch';
import { foreground } from './foreground';
import { relaySeccompListener } from './seccomp-listener';

export interface ExecOptions {
  id: string;
  /** --process FILE: a runtime-spec process object */
  processFile?: string;
  /** the command after the container id */
  args: string[];
  tty: boolean;
  consoleSocket?: string;
  detach: boolean;
  pidFile?: string;
  cwd?: string;
  env: string[];
  /** "uid[:gid]" */
  user?: string;
  additionalGids: string[];
  caps: string[];
  noNewPrivs: boolean;
  apparmor?: string;
  processLabel?: string;
  preserveFds: number;
  ignorePaused: boolean;
  /** --cgroup "[controller:]path", repeatable */
  cgroups: string[];
  /** a runtime-spec process object given in-process (the shim's Exec), checked as --process is */
  process?: unknown;
  /** the process's fds 0-2 (the shim's fifos); default: ours */
  stdio?: [number, number, number];
}

/** Fields carton refuses rather than ignores (as for config.json). */
const UNSUPPORTED: Array<[keyof Process, string]> = [
  ['apparmorProfile', '/apparmorProfile'],
  ['selinuxLabel', '/selinuxLabel'],
  ['execCPUAffinity', '/execCPUAffinity'],
];

function intOf(v: string, what: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 0xffffffff)
    throw new CartonError(`parsing ${v} as int for ${what} failed`, { kind: 'usage' });
  return Number(v);
}

/** The process to run: --process FILE, or the container's own process with the command-line's changes. */
export function resolveProcess(o: ExecOptions, saved: Spec): { proc: Process; where: string } {
  const base = saved.process ?? { cwd: '/' };
  let proc: Process;
  let where: string;
  if (o.processFile || o.process !== undefined) {
    let obj: unknown;
    if (o.processFile) {
      where = path.basename(o.processFile);
      let text: string;
      try {
        text = fs.readFileSync(o.processFile, 'utf8');
      } catch (e) {
        throw new CartonError(`open ${o.processFile}: ${errText(e)}`);
      }
      obj = parseConfig(text, where);
    } else {
      where = 'process';
      obj = structuredClone(o.process);
    }
    validateProcess(obj, where);
    proc = obj as Process;
    // What a process file leaves out comes from the container, as in runc.
    proc.capabilities ??= base.capabilities;
    proc.rlimits ??= base.rlimits;
    proc.noNewPrivileges ??= base.noNewPrivileges;
    proc.user ??= base.user;
    proc.env ??= base.env;
  } else {
    where = 'exec';
    // The container's process minus what an exec must not inherit: its
    // terminal and command come from the flags, and oomScoreAdj stays with the init.
    const { oomScoreAdj: _oom, apparmorProfile: _aa, selinuxLabel: _se, ...rest } = structuredClone(base);
    proc = { ...rest, args: o.args, terminal: o.tty };
    if (o.cwd !== undefined) proc.cwd = o.cwd;
    proc.env = [...(proc.env ?? []), ...o.env];
    const user = { ...(proc.user ?? {}) };
    if (o.user !== undefined) {
      const [u = '', g] = o.user.split(':', 2);
      user.uid = intOf(u, 'uid');
      if (g !== undefined) user.gid = intOf(g, 'gid');
    }
    if (o.additionalGids.length)
      user.additionalGids = [
        ...(user.additionalGids ?? []),
        ...o.additionalGids.map((g) => intOf(g, 'additional-gids')),
      ];
    proc.user = user;
    if (o.caps.length) {
      // Never into the inheritable or ambient sets: an exec'd process must not
      // pass caps on through execve of a non-setcap binary (CVE-2022-29162).
      const c = { ...(proc.capabilities ?? {}) };
      c.bounding = [...(c.bounding ?? []), ...o.caps];
      c.effective = [...(c.effective ?? []), ...o.caps];
      c.permitted = [...(c.permitted ?? []), ...o.caps];
      proc.capabilities = c;
    }
    if (o.noNewPrivs) proc.noNewPrivileges = true;
    if (o.apparmor) proc.apparmorProfile = o.apparmor;
    if (o.processLabel) proc.selinuxLabel = o.processLabel;
  }
  for (const [key, ptr] of UNSUPPORTED) {
    if (proc[key] !== undefined && proc[key] !== '')
      throw new CartonError(`${where}: ${ptr} is not supported by this version of carton`, { kind: 'unsupported' });
  }
  if (!proc.args || proc.args.length === 0)
    throw new CartonError(
      o.processFile || o.process !== undefined ? `${where}: /args must not be empty` : 'exec args cannot be empty',
      { kind: 'invalid-config' },
    );
  if (!proc.cwd.startsWith('/'))
    throw new CartonError(`${where}: cwd must be an absolute path, got "${proc.cwd}"`, { kind: 'invalid-config' });
  return { proc, where };
}

/** The container's cgroups, or sub-cgroups of them with --cgroup. */
function execCgroups(rec: CgroupRecord, specs: string[]): CgroupRecord {
  const dirs = { ...rec.dirs };
  for (const spec of specs) {
    const i = spec.indexOf(':');
    const [ctrl, sub] = i >= 0 ? [spec.slice(0, i), spec.slice(i + 1)] : ['', spec];
    const keys = Object.keys(dirs).filter((k) =>
      ctrl ? k.split(',').includes(ctrl) || (ctrl === 'unified' && k === '') : true,
    );
    if (!keys.length)
      throw new CartonError(`--cgroup ${spec}: the container has no cgroup for controller "${ctrl}"`, {
        kind: 'usage',
      });
    for (const [k, base] of Object.entries(rec.dirs).filter(([k]) => keys.includes(k))) {
      const d = path.join(base, sub);
      if (d !== base && !d.startsWith(base + '/'))
        throw new CartonError(`--cgroup ${spec}: path escapes the container's cgroup`, { kind: 'usage' });
      if (!fs.existsSync(d))
        throw new CartonError(`--cgroup ${spec}: ${d}: no such file or directory`, { kind: 'usage' });
      dirs[k] = d;
    }
  }
  return { ...rec, dirs };
}

export interface Started {
  pid: number;
  /** foreground with a terminal: our end of the console socketpair */
  console?: number;
}

export function startProcess(store: Store, o: ExecOptions): Started {
  // The lock covers reading and checking the state only, never the launch:
  // with --ignore-paused the new process sits frozen in the container's
  // cgroup until `resume`, which takes this lock exclusively (runc's exec
  // finishes as soon as the container is resumed). Once unlocked, the
  // start-time check before 'G' keeps a deleted container's recycled pid out.
  let args: Parameters<typeof spawnExec>;
  const lock = store.lock(o.id, false);
  try {
    const s = store.read(o.id);
    const status = statusOf(s, store.fifo(o.id));
    if (status === 'stopped') throw new CartonError('cannot exec in a stopped container', { kind: 'bad-state' });
    if (status === 'paused' && !o.ignorePaused)
      throw new CartonError('cannot exec in a paused container (use --ignore-paused to override)', {
        kind: 'bad-state',
      });
    // Until its execve the init is not dumpable (CVE-2016-9962): opening its
    // /proc/<pid>/ns/* then takes CAP_SYS_PTRACE in the host's user namespace.
    if (status === 'created' && process.geteuid?.() !== 0)
      throw new CartonError(
        'cannot exec in a created container without root: its init accepts no joins until `start` (CVE-2016-9962)',
        { kind: 'bad-state' },
      );
    const saved = savedSpec(store, o.id);
    if (!saved) throw new CartonError(`container ${o.id}: its saved config.json is missing`);
    const { proc, where } = resolveProcess(o, saved);
    if (o.consoleSocket && !proc.terminal)
      throw new CartonError('cannot use console socket if runc will not detach or allocate tty', { kind: 'usage' });
    if (proc.terminal && o.detach && !o.consoleSocket)
      throw new CartonError('cannot allocate tty if runc will detach without setting console socket', {
        kind: 'usage',
      });
    if (!Number.isInteger(o.preserveFds) || o.preserveFds < 0)
      throw new CartonError(`--preserve-fds: invalid value ${o.preserveFds}`, { kind: 'usage' });
    const rec = execCgroups(s.cgroup, o.cgroups);
    args = [s.pid, s.startTime, s.bundle, rec, proc, where, saved, o];
  } finally {
    lock.release();
  }
  return spawnExec(...args);
}

function spawnExec(
  initPid: number,
  startTime: string,
  bundleDir: string,
  rec: CgroupRecord,
  proc: Process,
  where: string,
  saved: Spec,
  o: ExecOptions,
): Started {
  const fds: number[] = [];
  let ours: number | undefined;
  let chan: InitChannel | undefined;
  let pid = 0;
  try {
    const { consoleFd, ours: relayEnd } = openConsole(Boolean(proc.terminal), true, o.consoleSocket, fds);
    ours = relayEnd;
    const namespaces = (saved.linux?.namespaces ?? []).map((n) => n.type);
    const plan = buildExecPlan(proc, {
      id: o.id,
      initPid,
      namespaces,
      preserved: o.preserveFds,
      console: consoleFd !== undefined,
      where,
      seccomp: saved.linux?.seccomp,
      linux: saved.linux,
    });
    if (debugEnabled()) for (const line of describePlan(plan, saved)) debug(line);
    const bytes = encodePlan(plan);
    phase('plan');
    const table = [
      ...Array.from({ length: o.preserveFds }, (_, i) => 3 + i),
      ...(consoleFd !== undefined ? [consoleFd] : []),
    ];
    // The namespaces are joined by path: make sure the pid is still the
    // container's init (same start time) before init opens them.
    const alive = () => {
      if (!isAlive({ pid: initPid, startTime } as Parameters<typeof isAlive>[0]))
        throw new CartonError('cannot exec in a stopped container', { kind: 'bad-state' });
    };
    ({ chan, pid } = launchInit(bytes, table, rec, 'the process was created', alive, o.stdio));
    phase('namespaces');
    // SCMP_ACT_NOTIFY: the exec'd process has a listener of its own for the agent, as with runc.
    if (plan.seccomp?.listenerPath) {
      relaySeccompListener(chan, plan.seccomp, {
        ociVersion: saved.ociVersion,
        id: o.id,
        pid,
        bundle: bundleDir,
        annotations: saved.annotations,
      });
    }
    chan.expect(MSG.READY, 'the process was set up');
    phase('exec');
    if (o.pidFile) writePidFile(o.pidFile, pid);
    return { pid, console: ours };
  } catch (e) {
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
        addon().waitPid(pid, false);
      } catch {
        // already gone
      }
    }
    if (ours !== undefined) fs.closeSync(ours);
    // init's own errors are runc's "unable to start container process: ..."
    if (e instanceof SetupError)
      throw new SetupError(`unable to start container process: ${e.message}`, { kind: e.kind, cause: e });
    throw e;
  } finally {
    chan?.close();
    for (const fd of fds) fs.closeSync(fd);
  }
}

export async function exec(store: Store, o: ExecOptions): Promise<number> {
  const { pid, console: consoleSock } = startProcess(store, o);
  if (o.detach) return 0;
  return foreground(pid, consoleSock);
}
