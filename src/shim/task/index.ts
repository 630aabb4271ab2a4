// containerd.task.v2.Task for containerd-shim-carton-v2: the transport
// (src/shim/ttrpc/, main.ts) decodes each rpc and calls these methods; they
// drive the containers with carton's library in this process. State lives
// under /run/containerd/carton/<namespace>, so `carton --root
// /run/containerd/carton/<ns> list` shows the shim's containers.
import * as path from 'path';
import { STATE_ROOT } from '../address';
import type { ShimContext, TaskService, TaskServiceFactory } from '../types';
import { toShimError } from './errors';
import type { LifecycleWorkers } from './lifecycle';
import * as ops from './ops';
import { Tasks } from './service';

export { STATE_ROOT } from '../address';

export interface TaskServiceOptions {
  /** carton's state root; default /run/containerd/carton/<namespace> */
  root?: string;
  /** where the blocking library calls run; default the process's pool */
  workers?: LifecycleWorkers;
}

export function newTaskService(ctx: ShimContext, opts: TaskServiceOptions = {}): TaskService & { tasks: Tasks } {
  const t = new Tasks(ctx, opts.root ?? path.join(STATE_ROOT, ctx.namespace), opts.workers);
  type Handler = (r: Record<string, any>) => Record<string, any> | Promise<Record<string, any>>;
  // Every failure leaves as a ShimError with its code and one line.
  const wrap = (f: Handler) => async (r: Record<string, any>) => {
    try {
      return await f(r);
    } catch (e) {
      throw toShimError(e);
    }
  };
  const service: TaskService = {
    Create: wrap((r) => t.create(r)),
    Start: wrap((r) => t.start(r)),
    Delete: wrap((r) => t.delete(r)),
    Exec: wrap((r) => t.exec(r)),
    Kill: wrap((r) => t.kill(r)),
    Wait: wrap((r) => t.wait(r)),
    State: wrap((r) => t.state(r)),
    Shutdown: wrap(() => t.shutdown()),
    Pause: wrap((r) => ops.pauseTask(t, r)),
    Resume: wrap((r) => ops.resumeTask(t, r)),
    Pids: wrap((r) => ops.pidsOf(t, r)),
    Stats: wrap((r) => ops.statsOf(t, r)),
    Update: wrap((r) => ops.updateTask(t, r)),
    ResizePty: wrap((r) => ops.resizePty(t, r)),
    CloseIO: wrap((r) => ops.closeIO(t, r)),
    Connect: wrap((r) => ops.connect(t, r)),
    Checkpoint: wrap((r) => ops.checkpoint(t, r)),
  };
  return Object.assign(service, { tasks: t });
}

export const createTaskService: TaskServiceFactory = (ctx) => newTaskService(ctx);
