// The Task service: containerd's rpcs on many containers (one shim serves a
// namespace or a pod), each driven by carton's own library, the same code
// the CLI runs for create, start, exec, kill and delete.
import * as fs from 'fs';
import * as path from 'path';
import { errCode } from '../../errors';
import { addon, type WaitStatus } from '../../native';
import type { Created } from '../../container/create';
import type { Started } from '../../container/exec';
import { Store } from '../../state/store';
import { statusOf } from '../../state/status';
import { Code, ShimError, type ShimContext } from '../types';
import { Container } from './container';
import { lib } from './errors';
import { lifecycleWorkers, type LifecycleArgs, type LifecycleOp, type LifecycleWorkers } from './lifecycle';
import { mountAll, unmountAll, type ContainerdMount } from './mounts';
import { watchOOM } from './oom';
import { Proc, STATUS } from './process';
import { PtyRelay } from './pty';
import { Reaper } from './reaper';
import { ProcessIO, type Held, type StdioPaths } from './stdio';
import { Keeper } from '../keeper';
import { adoptTasks, saveTask } from './adopt';

type Req = Record<string, any>;
const SIGKILL = 9;
/** how long an exit waits for the last of a terminal's output to reach the fifo */
const PTY_DRAIN_MS = 2000;
/** how long Delete waits for the exec processes it killed to be reaped */
const EXEC_EXIT_MS = 5000;

export class Tasks {
  readonly containers = new Map<string, Container>();
  /** ids whose Create is in flight */
  private readonly creating = new Set<string>();
  readonly store: Store;
  readonly reaper: Reaper;
  /** holds our fds and exits across a crash of this process (no-op without one) */
  readonly keeper: Keeper;
  /** where the blocking library calls run: never on this event loop (lifecycle.ts) */
  readonly workers: LifecycleWorkers;

  constructor(
    readonly ctx: ShimContext,
    root: string,
    workers = lifecycleWorkers(),
  ) {
    this.store = new Store(root);
    this.keeper = ctx.keeper ?? Keeper.none();
    this.reaper = new Reaper(this.keeper);
    this.workers = workers;
    workers.warm();
    // A predecessor of this process crashed: its containers are ours now.
    adoptTasks(this);
  }

  /** The labels the keeper holds a process's fds under. */
  held(c: { id: string }, p: Proc): Held {
    return { keeper: this.keeper, prefix: `io:${c.id}:${p.execId || '-'}:` };
  }

  /** One library operation on a lifecycle worker; its errors arrive as ShimErrors. */
  run<T = void>(op: LifecycleOp, args: LifecycleArgs): Promise<T> {
    return this.workers.run<T>(this.store.root, op, args);
  }

  publish(topic: string, type: string, event: Record<string, unknown>): void {
    this.ctx.publisher.publish(topic, `containerd.events.${type}`, event);
  }

  container(id: string): Container {
    const c = this.containers.get(id);
    if (!c) throw new ShimError(Code.NOT_FOUND, `container ${id}: container does not exist`);
    return c;
  }

  async create(r: Req): Promise<Req> {
    const id = String(r.id);
    if (r.checkpoint)
      throw new ShimError(
        Code.UNIMPLEMENTED,
        'restore from a checkpoint needs CRIU: not supported by this version of carton',
      );
    if (this.containers.has(id) || this.creating.has(id))
      throw new ShimError(Code.ALREADY_EXISTS, `container with id exists: ${id}`);
    this.creating.add(id);
    const stdio: StdioPaths = {
      stdin: r.stdin ?? '',
      stdout: r.stdout ?? '',
      stderr: r.stderr ?? '',
      terminal: Boolean(r.terminal),
    };
    const init = new Proc(id, '', stdio);
    const c = new Container(id, String(r.bundle), init);
    const mounts = (r.rootfs ?? []) as ContainerdMount[];
    // runc's Options (SystemdCgroup) arrive as protobuf bytes; a transport that decodes them may pass `object`.
    const systemdCgroup = Boolean(r.options?.object?.systemdCgroup);
    try {
      if (mounts.length) {
        fs.mkdirSync(c.rootfs, { recursive: true, mode: 0o711 });
        mountAll(mounts, c.rootfs);
        c.mountedRootfs = c.rootfs;
      }
      init.io = await ProcessIO.open(
        stdio.terminal ? { ...stdio, stdin: '' } : stdio,
        id,
        this.ctx.namespace,
        this.held(c, init),
      );
      // detach: false = the pty master comes back to us, as for a foreground run.
      const created = await this.run<Created>('create', { id, bundle: c.bundle, systemdCgroup, stdio: init.io.fds });
      init.pid = created.state.pid;
      this.attachTerminal(c, init, created.console);
      init.io.afterSpawn();
      this.containers.set(id, c);
      if (!created.state.namespaces.includes('pid')) {
        c.sharedPidCgroups = Object.entries(created.state.cgroup.dirs);
        this.reaper.orphans = (pid) => this.inSharedPidContainer(pid);
      }
      c.stopOOM = watchOOM(created.state.cgroup, () => this.publish('/tasks/oom', 'TaskOOM', { containerId: id }));
      saveTask(this, c);
    } catch (e) {
      // create() removed its own state, cgroup and process; the rest is ours.
      this.containers.delete(id);
      c.release();
      throw e;
    } finally {
      this.creating.delete(id);
    }
    this.publish('/tasks/create', 'TaskCreate', {
      containerId: id,
      bundle: c.bundle,
      rootfs: mounts,
      io: { ...stdio },
      checkpoint: r.checkpoint ?? '',
      pid: init.pid,
    });
    this.reaper.watch(init.pid, (st) => void this.exited(c, init, st));
    return { pid: init.pid };
  }

  /** A Create the crashed predecessor did not finish (serve.ts): remove what it made, unless it is ours now. */
  async abandonCreate(r: Req): Promise<void> {
    const id = String(r.id);
    if (this.containers.has(id) || this.creating.has(id)) return;
    // Cut short before its state was written (e.g. in a prestart hook): only the directory is left.
    if (!fs.existsSync(path.join(this.store.dir(id), 'state.json')))
      fs.rmSync(this.store.dir(id), { recursive: true, force: true });
    else await this.run('delete', { id }).catch(() => undefined);
    if ((r.rootfs ?? []).length) {
      try {
        unmountAll(path.join(String(r.bundle), 'rootfs'));
      } catch {
        // not mounted
      }
    }
  }

  /** Is `pid` in the cgroup of a container without its own pid namespace? (/proc/<pid>/cgroup: "id:controllers:path") */
  inSharedPidContainer(pid: number): boolean {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    } catch {
      return false;
    }
    const lines = text
      .split('\n')
      .map((l) => l.split(':'))
      .filter((f) => f.length >= 3 && f[2] !== '/');
    for (const c of this.containers.values()) {
      for (const [key, dir] of c.sharedPidCgroups ?? []) {
        if (lines.some(([, ctrls, p]) => ctrls === key && p !== undefined && dir.endsWith(p))) return true;
      }
    }
    return false;
  }

  /** With a terminal the pty master comes back on the console socket; the relay takes over stdin and stdout. */
  private attachTerminal(c: Container, p: Proc, consoleSock: number | undefined): void {
    if (consoleSock === undefined) return;
    let master: number;
    try {
      master = addon().recvFd(consoleSock);
    } finally {
      addon().close(consoleSock);
    }
    p.pty = new PtyRelay(master, p.stdio.stdin, p.io?.takeStdout(), this.held(c, p));
  }

  async exited(c: Container, p: Proc, st: WaitStatus): Promise<void> {
    if (p === c.init) {
      // A kill that raced the exit is reported before it.
      c.stopOOM?.();
      c.stopOOM = undefined;
      await this.killExecsWithInit(c);
    }
    if (p.pty) await Promise.race([p.pty.done, new Promise((r) => setTimeout(r, PTY_DRAIN_MS).unref())]);
    // Start runs on a worker: an init that exits at once is reaped before Start
    // returns, and containerd wants /tasks/start before /tasks/exit (runc's shim order).
    if (p.startDone) await p.startDone;
    p.setExited(st.code);
    if (this.containers.get(c.id) === c) saveTask(this, c);
    this.keeper.forgetExit(p.pid);
    this.publish('/tasks/exit', 'TaskExit', { containerId: c.id, id: p.id, pid: p.pid, ...p.exitFields() });
  }

  /** As runc's shim: the init's exit takes the execs with it when they share the host's pid namespace. */
  private async killExecsWithInit(c: Container): Promise<void> {
    try {
      const s = this.store.read(c.id);
      if (!s.namespaces.includes('pid')) await this.run('signalAll', { id: c.id, signal: SIGKILL });
    } catch {
      // deleted meanwhile
    }
  }

  async start(r: Req): Promise<Req> {
    const c = this.container(r.id);
    const p = c.process(r.execId ?? '');
    if (p === c.init) {
      if (p.exitedAt) throw new ShimError(Code.FAILED_PRECONDITION, 'cannot start a container that has stopped');
      const done = p.beginStart();
      try {
        await this.run('start', { id: c.id });
        this.publish('/tasks/start', 'TaskStart', { containerId: c.id, pid: p.pid });
      } finally {
        done();
      }
      return { pid: p.pid };
    }
    return this.startExec(c, p);
  }

  exec(r: Req): Req {
    const c = this.container(r.id);
    const execId = String(r.execId ?? '');
    if (!execId) throw new ShimError(Code.INVALID_ARGUMENT, 'exec: execId must not be empty');
    if (c.execs.has(execId))
      throw new ShimError(Code.ALREADY_EXISTS, `process ${execId} of container ${c.id}: id already in use`);
    if (c.init.exitedAt) throw new ShimError(Code.FAILED_PRECONDITION, 'cannot exec in a stopped container');
    let spec: unknown;
    try {
      spec = JSON.parse(Buffer.from(r.spec?.value ?? []).toString('utf8'));
    } catch (e) {
      throw new ShimError(
        Code.INVALID_ARGUMENT,
        `exec ${execId}: spec: not a JSON runtime-spec process: ${(e as Error).message}`,
      );
    }
    const stdio: StdioPaths = {
      stdin: r.stdin ?? '',
      stdout: r.stdout ?? '',
      stderr: r.stderr ?? '',
      terminal: Boolean(r.terminal),
    };
    c.execs.set(execId, new Proc(c.id, execId, stdio, spec));
    saveTask(this, c);
    this.publish('/tasks/exec-added', 'TaskExecAdded', { containerId: c.id, execId });
    return {};
  }

  private async startExec(c: Container, p: Proc): Promise<Req> {
    if (p.started || p.starting)
      throw new ShimError(Code.FAILED_PRECONDITION, `process ${p.execId} of container ${c.id}: already started`);
    p.starting = true;
    try {
      return await this.spawnExec(c, p);
    } finally {
      p.starting = false;
    }
  }

  private async spawnExec(c: Container, p: Proc): Promise<Req> {
    p.io = await ProcessIO.open(
      p.stdio.terminal ? { ...p.stdio, stdin: '' } : p.stdio,
      c.id,
      this.ctx.namespace,
      this.held(c, p),
    );
    try {
      const started = await this.run<Started>('exec', {
        id: c.id,
        exec: {
          id: c.id,
          process: p.spec,
          args: [],
          tty: p.stdio.terminal,
          detach: false,
          env: [],
          additionalGids: [],
          caps: [],
          noNewPrivs: false,
          preserveFds: 0,
          ignorePaused: false,
          cgroups: [],
          stdio: p.io.fds,
        },
      });
      p.pid = started.pid;
      this.attachTerminal(c, p, started.console);
      p.io.afterSpawn();
      saveTask(this, c);
    } catch (e) {
      p.io.close();
      throw e;
    }
    // Started before exited: watching may reap a quick process at once.
    this.publish('/tasks/exec-started', 'TaskExecStarted', { containerId: c.id, execId: p.execId, pid: p.pid });
    this.reaper.watch(p.pid, (st) => void this.exited(c, p, st));
    return { pid: p.pid };
  }

  state(r: Req): Req {
    const c = this.container(r.id);
    const p = c.process(r.execId ?? '');
    let status: number = STATUS.RUNNING;
    if (p.exitedAt) status = STATUS.STOPPED;
    else if (!p.started) status = STATUS.CREATED;
    else if (p === c.init) {
      const s = lib(() => statusOf(this.store.read(c.id), this.store.fifo(c.id)));
      status = { created: STATUS.CREATED, running: STATUS.RUNNING, paused: STATUS.PAUSED, stopped: STATUS.STOPPED }[s];
    }
    return {
      id: p.id,
      bundle: c.bundle,
      pid: p.pid,
      status,
      stdin: p.stdio.stdin,
      stdout: p.stdio.stdout,
      stderr: p.stdio.stderr,
      terminal: p.stdio.terminal,
      execId: p.execId,
      ...p.exitFields(),
    };
  }

  async kill(r: Req): Promise<Req> {
    const c = this.container(r.id);
    const p = c.process(r.execId ?? '');
    const sig = Number(r.signal ?? 0);
    if (p.exitedAt) throw new ShimError(Code.NOT_FOUND, `process ${p.id}: process already finished`);
    if (p === c.init) {
      await this.run('kill', { id: c.id, signal: sig, all: Boolean(r.all) });
      return {};
    }
    if (!p.started) throw new ShimError(Code.FAILED_PRECONDITION, `process ${p.id}: process not started`);
    // An exec is our unreaped child until the reaper marks it exited: its pid cannot have been reused.
    try {
      process.kill(p.pid, sig);
    } catch (e) {
      if (errCode(e) !== 'ESRCH') throw new ShimError(Code.UNKNOWN, `kill ${p.id}: ${(e as Error).message}`);
    }
    return {};
  }

  async wait(r: Req): Promise<Req> {
    const p = this.container(r.id).process(r.execId ?? '');
    await p.exited;
    return p.exitFields();
  }

  async delete(r: Req): Promise<Req> {
    const c = this.container(r.id);
    const p = c.process(r.execId ?? '');
    if (p !== c.init) {
      if (p.started && !p.exitedAt)
        throw new ShimError(Code.FAILED_PRECONDITION, `process ${p.id}: cannot delete a running process`);
      c.execs.delete(p.execId);
      p.io?.close();
      saveTask(this, c);
      return { pid: p.pid, ...p.exitFields() };
    }
    try {
      await this.run('delete', { id: c.id });
    } catch (e) {
      // Already gone from the store (e.g. `carton delete` by hand): forget it here too.
      if (!(e instanceof ShimError && e.code === Code.NOT_FOUND)) throw e;
    }
    await p.exited;
    // delete killed everything in the cgroup: the execs' exits are reaped and
    // reported before TaskDelete (bounded, in case one escaped the cgroup).
    const running = [...c.execs.values()].filter((e) => e.started && !e.exitedAt);
    await Promise.race([
      Promise.all(running.map((e) => e.exited)),
      new Promise((r) => setTimeout(r, EXEC_EXIT_MS).unref()),
    ]);
    for (const e of running) if (!e.exitedAt) this.reaper.unwatch(e.pid);
    c.release();
    this.containers.delete(c.id);
    this.keeper.save('tasks', c.id, undefined);
    this.keeper.dropPrefix(`io:${c.id}:`);
    this.publish('/tasks/delete', 'TaskDelete', { containerId: c.id, pid: p.pid, ...p.exitFields() });
    return { pid: p.pid, ...p.exitFields() };
  }

  /** As runc's shim: exit when no container is left, otherwise nothing (containerd asks after every Delete). */
  shutdown(): Req {
    if (this.containers.size || this.creating.size) return {};
    this.reaper.close();
    this.ctx.exit();
    return {};
  }
}
