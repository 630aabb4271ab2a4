// The Task rpcs around the lifecycle: pause/resume, pids, stats, update,
// terminal size, stdin close, connect, checkpoint. Each is carton's library
// call on the container the shim holds.
import type { Resources } from '../../cgroups/types';
import { refuse } from '../../container/criu';
import { pids } from '../../container/ps';
import { Code, ShimError } from '../types';
import { lib, toShimError } from './errors';
import { metrics } from './stats';
import type { Tasks } from './service';

type Req = Record<string, any>;

export async function pauseTask(t: Tasks, r: Req): Promise<Req> {
  const c = t.container(r.id);
  await t.run('pause', { id: c.id });
  t.publish('/tasks/paused', 'TaskPaused', { containerId: c.id });
  return {};
}

export async function resumeTask(t: Tasks, r: Req): Promise<Req> {
  const c = t.container(r.id);
  await t.run('resume', { id: c.id });
  t.publish('/tasks/resumed', 'TaskResumed', { containerId: c.id });
  return {};
}

export function pidsOf(t: Tasks, r: Req): Req {
  const c = t.container(r.id);
  // As runc's shim: an exec's pid carries its execId.
  const execOf = new Map([...c.execs.values()].filter((p) => p.started).map((p) => [p.pid, p.execId]));
  return {
    processes: lib(() => pids(t.store, c.id)).map((pid) => {
      const execId = execOf.get(pid);
      return execId ? { pid, info: { typeUrl: 'containerd.runc.v1.ProcessDetails', object: { execId } } } : { pid };
    }),
  };
}

export function statsOf(t: Tasks, r: Req): Req {
  const c = t.container(r.id);
  if (c.init.exitedAt) throw new ShimError(Code.FAILED_PRECONDITION, `container ${c.id}: container not running`);
  return { stats: metrics(lib(() => t.store.read(c.id)).cgroup) };
}

/** resources: an Any whose value is a JSON runtime-spec LinuxResources, as containerd sends it. */
export async function updateTask(t: Tasks, r: Req): Promise<Req> {
  const c = t.container(r.id);
  let res: Resources;
  try {
    res = JSON.parse(Buffer.from(r.resources?.value ?? []).toString('utf8') || '{}') as Resources;
  } catch (e) {
    throw new ShimError(
      Code.INVALID_ARGUMENT,
      `update ${c.id}: resources: not a JSON runtime-spec LinuxResources: ${(e as Error).message}`,
    );
  }
  if (typeof res !== 'object' || res === null || Array.isArray(res))
    throw new ShimError(Code.INVALID_ARGUMENT, `update ${c.id}: resources: not a JSON object`);
  await t.run('update', { id: c.id, resources: res });
  return {};
}

export function resizePty(t: Tasks, r: Req): Req {
  const p = t.container(r.id).process(r.execId ?? '');
  // As runc's shim: a process without a terminal has nothing to resize.
  try {
    p.pty?.resize(Number(r.width), Number(r.height));
  } catch (e) {
    throw new ShimError(Code.UNKNOWN, `resize pty of ${p.id}: ${(e as Error).message}`);
  }
  return {};
}

export function closeIO(t: Tasks, r: Req): Req {
  const p = t.container(r.id).process(r.execId ?? '');
  if (r.stdin) {
    p.io?.closeStdin();
    p.pty?.closeStdin();
  }
  return {};
}

export function connect(t: Tasks, r: Req): Req {
  const c = t.container(r.id);
  // The keeper's pid: the process whose life is the shim's for containerd (Node may be respawned under it).
  return { shimPid: t.ctx.keeper?.pid ?? process.pid, taskPid: c.init.pid, version: '' };
}

/** carton's own checkpoint answer: CRIU unusable here (FAILED_PRECONDITION) or not implemented. */
export function checkpoint(t: Tasks, r: Req): Req {
  t.container(r.id);
  try {
    refuse('checkpoint', 'criu');
  } catch (e) {
    // host-lacks (CRIU unusable here): FAILED_PRECONDITION; unsupported: UNIMPLEMENTED.
    throw toShimError(e);
  }
}
