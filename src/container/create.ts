// `create`: validate the bundle, build the plan, make the cgroup, start
// carton-init and walk it through the handshake until the container waits on
// its exec fifo. On any failure everything made so far is undone: no state
// directory, cgroup, fifo or process is left behind.
import * as fs from 'fs';
import * as path from 'path';
import { CartonError, SetupError, errText } from '../errors';
import { debug, debugEnabled, phase } from '../log';
import { describePlan } from './describe';
import { addon } from '../native';
import * as cgroups from '../cgroups/manager';
import { isRootless, rootlessRecord } from '../cgroups/rootless';
import type { CgroupRecord } from '../cgroups/types';
import { buildPlan } from '../plan/build';
import { encodePlan } from '../plan/encode';
import { Setgroups } from '../plan/host';
import { CLONE, NAMESPACES } from '../plan/linux';
import { loadBundle } from '../spec/load';
import { stringifyExact } from '../spec/exact-json';
import type { IdMap } from '../spec/types';
import { writePidFile, type StoredState, type Store } from '../state/store';
import { procStat } from '../state/status';
import { hookState, nsPid, planHooks, runHooks, runPoststop } from './hooks';
import { InitChannel, MSG } from './init-channel';
import { releaseHostMounts } from './host-mounts';
import { launchInit, openConsole } from './launch';
import { relaySeccompListener } from './seccomp-listener';

export interface CreateOptions {
  id: string;
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  preserveFds: number;
  systemdCgroup: boolean;
  /** false only for a foreground `run`, which may use a terminal without a socket */
  detach: boolean;
  /** the global --rootless (true, false, auto) */
  rootless?: string;
  /** the container's fds 0-2 (the shim's fifos); default: ours */
  stdio?: [number, number, number];
}

function writeIdMap(pid: number, file: string, maps: IdMap[] | undefined, raw?: string): void {
  const text = raw ?? (maps ?? []).map((m) => `${m.containerID} ${m.hostID} ${m.size}`).join('\n') + '\n';
  try {
    fs.writeFileSync(`/proc/${pid}/${file}`, text);
  } catch (e) {
    throw new SetupError(`write /proc/${pid}/${file}: ${errText(e)}`);
  }
}

/**
 * LISTEN_FDS meant for us (systemd socket activation) pass through ahead of
 * --preserve-fds. As runc (go-systemd's activation.Files), only when
 * LISTEN_PID names this very process.
 */
function listenFds(): number {
  const n = Number(process.env.LISTEN_FDS ?? 0);
  const forUs = Number(process.env.LISTEN_PID) === process.pid;
  return Number.isInteger(n) && n > 0 && forUs ? n : 0;
}

export interface Created {
  state: StoredState;
  /** foreground run with a terminal: our end of the console socketpair, the pty master arrives on it */
  console?: number;
}

export function create(store: Store, o: CreateOptions): Created {
  const bundle = loadBundle(o.bundle);
  const proc = bundle.spec.process!;
  if (o.consoleSocket && !proc.terminal)
    throw new CartonError('cannot use console socket if runc will not detach or allocate tty', { kind: 'usage' });
  if (proc.terminal && o.detach && !o.consoleSocket)
    throw new CartonError('cannot allocate tty if runc will detach without setting console socket', { kind: 'usage' });
  if (!Number.isInteger(o.preserveFds) || o.preserveFds < 0)
    throw new CartonError(`--preserve-fds: invalid value ${o.preserveFds}`, { kind: 'usage' });
  if (
    process.geteuid?.() !== 0 &&
    bundle.spec.linux?.namespaces?.some((n) => n.type === 'user' && !n.path) &&
    proc.user?.additionalGids?.length
  ) {
    throw new CartonError(
      'config.json: /process/user/additionalGids: cannot set supplementary groups without root: setgroups is denied in a rootless user namespace',
      { kind: 'invalid-config' },
    );
  }
  cgroups.checkSupported(bundle.spec.linux?.resources);
  if (o.systemdCgroup && isRootless(o.rootless))
    throw new SetupError(
      '--systemd-cgroup: rootless containers under a systemd user manager are not supported; use the cgroupfs driver',
      { kind: 'unsupported' },
    );
  const unit = o.systemdCgroup ? cgroups.systemdUnit(bundle.spec.linux?.cgroupsPath, o.id) : undefined;
  const cgPath = unit?.path ?? cgroups.resolveCgroupsPath(bundle.spec.linux?.cgroupsPath, o.id);

  const lock = store.reserve(o.id);
  const fds: number[] = [];
  let rec: CgroupRecord | undefined;
  let initB = 0;
  let chan: InitChannel | undefined;
  let ours: number | undefined;
  try {
    const layout = cgroups.hostLayout();
    rec = rootlessRecord(
      cgroups.plan(layout, cgPath, unit),
      isRootless(o.rootless),
      Boolean(bundle.spec.linux?.cgroupsPath),
      bundle.spec.linux?.resources,
    );
    cgroups.create(rec, layout, bundle.spec.linux?.resources);
    phase('cgroup');

    const fifo = store.fifo(o.id);
    addon().mkfifo(fifo, 0o622);
    // O_RDWR on a fifo never blocks; init keeps it and blocks reading it.
    const fifoFd = fs.openSync(fifo, fs.constants.O_RDWR);
    fds.push(fifoFd);
    const { consoleFd, ours: relayEnd } = openConsole(Boolean(proc.terminal), !o.detach, o.consoleSocket, fds);
    ours = relayEnd;
    const listening = listenFds();
    const preserved = o.preserveFds + listening;
    const plan = buildPlan(bundle, {
      id: o.id,
      noPivot: o.noPivot,
      noNewKeyring: o.noNewKeyring,
      preserved,
      console: consoleFd !== undefined,
      cgroup: rec,
      layout,
    });
    Object.assign(plan, planHooks(bundle.spec), { trace: debugEnabled() });
    // runc tells the process about them as its own: fds from 3, LISTEN_PID=1.
    if (listening) plan.env = [...plan.env, `LISTEN_FDS=${listening}`, 'LISTEN_PID=1'];
    if (debugEnabled()) for (const line of describePlan(plan, bundle.spec, rec)) debug(line);
    const bytes = encodePlan(plan);
    phase('plan');

    const table = [
      ...Array.from({ length: preserved }, (_, i) => 3 + i),
      fifoFd,
      ...(consoleFd !== undefined ? [consoleFd] : []),
    ];
    ({ chan, pid: initB } = launchInit(bytes, table, rec, 'the container process was created', undefined, o.stdio));
    if (plan.nsNew & CLONE.NEWUSER) {
      // Without CAP_SETGID in our own namespace the kernel takes a gid_map
      // only after setgroups is denied for good (user_namespaces(7)).
      if (plan.host.setgroups === Setgroups.Deny) writeIdMap(initB, 'setgroups', undefined, 'deny');
      writeIdMap(initB, 'uid_map', bundle.spec.linux?.uidMappings);
      writeIdMap(initB, 'gid_map', bundle.spec.linux?.gidMappings);
      chan.send(MSG.MAPPED);
    }
    phase('namespaces');
    if (plan.hooksPause) {
      // init waits after its mounts, before pivot_root (protocol.h).
      chan.expect(MSG.HOOKS, "the container's mounts were set up");
      const st = (pid: number) => hookState(bundle.spec, o.id, bundle.dir, 'creating', pid);
      runHooks(bundle.spec, 'prestart', st(initB));
      runHooks(bundle.spec, 'createRuntime', st(initB));
      phase('runtime hooks');
      const inner = nsPid(initB);
      const created = Buffer.from(JSON.stringify(st(inner)));
      const len = Buffer.alloc(4);
      len.writeUInt32LE(created.length);
      chan.send(
        MSG.CONTINUE,
        Buffer.concat([
          len,
          created,
          Buffer.from(JSON.stringify(hookState(bundle.spec, o.id, bundle.dir, 'created', inner))),
        ]),
      );
    }
    // init sends the listener fd ('S') just before 'R', after any hooks pause.
    if (plan.seccomp?.listenerPath) {
      relaySeccompListener(chan, plan.seccomp, {
        ociVersion: bundle.spec.ociVersion,
        id: o.id,
        pid: initB,
        bundle: bundle.dir,
        annotations: bundle.spec.annotations,
      });
    }
    chan.expect(MSG.READY, 'the container was set up');
    phase('init ready');

    const stat = procStat(initB);
    if (!stat) throw new SetupError('container init exited during create');
    const state: StoredState = {
      ociVersion: bundle.spec.ociVersion,
      id: o.id,
      pid: initB,
      bundle: bundle.dir,
      rootfs: bundle.rootfs,
      created: new Date()
        .toISOString()
        .replace('Z', '000000Z')
        .replace(/(\.\d{9})\d*Z$/, '$1Z'),
      annotations: bundle.spec.annotations,
      startTime: stat.startTime,
      cgroup: rec,
      namespaces: Object.entries(NAMESPACES)
        .filter(([, f]) => plan.nsNew & f)
        .map(([n]) => n),
    };
    // exact: exec compiles the container's seccomp filter again from this copy
    fs.writeFileSync(path.join(store.dir(o.id), 'config.json'), stringifyExact(bundle.spec));
    store.write(state);
    if (o.pidFile) writePidFile(o.pidFile, initB);
    phase('state written');
    return { state, console: ours };
  } catch (e) {
    if (initB > 0) {
      try {
        process.kill(initB, 'SIGKILL');
        addon().waitPid(initB, false);
      } catch {
        // already gone
      }
      releaseHostMounts(bundle.spec, bundle.rootfs);
    }
    if (rec) {
      try {
        cgroups.destroy(rec);
      } catch {
        // the original error matters more; destroy retried already
      }
    }
    store.remove(o.id);
    if (ours !== undefined) fs.closeSync(ours);
    // The container existed: destroying it ends with the poststop hooks (runtime.md steps 12-13).
    if (initB > 0) runPoststop(bundle.spec, hookState(bundle.spec, o.id, bundle.dir, 'stopped'));
    throw e;
  } finally {
    chan?.close();
    for (const fd of fds) fs.closeSync(fd);
    lock.release();
  }
}
