// The serving shim: one long-lived process that answers containerd's
// containerd.task.v2.Task calls for every container of its group (see
// address.ts), on the socket `start` bound and passed as fd 3.
import * as fs from 'fs';
import { addon } from '../native';
import type { ShimFlags } from './flags';
import { ShimPublisher } from './publisher';
import { LIFECYCLE_SERVICE, SOCKET_ENV } from './address';
import { frontDoor } from './frontdoor';
import { adoptConnections, connectionKeeper, Keeper } from './keeper';
import { TtrpcServer } from './ttrpc/server';
import { decode } from './ttrpc/proto';
import { registerTyped } from './ttrpc/typed';
import { Code, ShimError, type ShimContext, type TaskMethod, type TaskService, type TaskServiceFactory } from './types';

export const TASK_SERVICE = 'containerd.task.v2.Task';
/** How long an idle shim (no task left) waits for another container, in ms. */
export const LINGER_ENV = 'CARTON_SHIM_LINGER_MS';
const DEFAULT_LINGER_MS = 30_000;
/** How long a Hold from `start` keeps an idle shim, in ms: containerd connects well within it. */
const HOLD_MS = 10_000;

/**
 * Log lines to stderr, which is the bundle's `log` fifo that containerd
 * copies into its own log. A reader that went away (the first container's
 * bundle deleted while the shared shim lives on) silences it.
 */
export function shimLogger(debug: boolean): { info: (l: string) => void; debug: (l: string) => void } {
  let ok = true;
  const write = (level: string, l: string) => {
    if (!ok) return;
    try {
      fs.writeSync(
        2,
        `time="${new Date().toISOString()}" level=${level} msg=${JSON.stringify(l)} runtime=io.containerd.carton.v2 pid=${process.pid}\n`,
      );
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') ok = false;
    }
  };
  return { info: (l) => write('info', l), debug: (l) => debug && write('debug', l) };
}

export async function serve(f: ShimFlags, factory: TaskServiceFactory): Promise<void> {
  const log = shimLogger(f.debug);
  const sock = process.env[SOCKET_ENV] ?? '';
  delete process.env[SOCKET_ENV];
  // Always there in production (start.ts spawns it); a respawned shim inherits what it held.
  const keeper = Keeper.fromEnv();
  if (keeper.active) inheritOomScore();
  // Container inits re-parent to the shim when their parent goes, so it can reap them.
  addon().setSubreaper(true);
  const ttrpcAddress = process.env.TTRPC_ADDRESS ?? '';
  const publisher = new ShimPublisher({
    namespace: f.namespace,
    ttrpcAddress,
    publishBinary: f.publishBinary,
    address: f.address,
    log: log.info,
  });
  const server = new TtrpcServer();
  const door = frontDoor(f.address, f.namespace, log.info);
  server.onError = (e, info) => log.info(`${info.method}: ${(e as Error)?.stack ?? String(e)}`);
  // After a crash, a Task request the dead process had not answered is answered
  // again if it is Wait (containerd and `ctr run` wait on it for a task's life),
  // otherwise with UNAVAILABLE (its effect is unknown), so no caller waits forever.
  server.keeper = connectionKeeper(keeper, (info) =>
    info.service !== TASK_SERVICE ? undefined : info.method === 'Wait' ? 'redo' : 'fail',
  );
  // A Create cut short by the crash: its half-made container is removed (containerd was told it failed).
  server.onAbandoned = (svc, method, payload) => {
    if (svc !== TASK_SERVICE || method !== 'Create') return;
    const tasks = (service as Partial<{ tasks: { abandonCreate(r: Record<string, any>): Promise<void> } }>).tasks;
    void tasks?.abandonCreate(decode('containerd.task.v2.CreateTaskRequest', payload));
  };

  let exiting = false;
  const exit = (why: string) => {
    if (exiting) return;
    exiting = true;
    log.info(`shim exiting: ${why}`);
    // Stop accepting and free the address first, so a `start` racing with
    // this exit binds a fresh shim rather than reaching a dying one.
    door.close();
    void server.close();
    if (sock) fs.rmSync(sock, { force: true });
    keeper.removeRecords();
    void publisher.close().finally(() => {
      // one more turn of the loop so the reply to Shutdown gets written
      setTimeout(() => process.exit(0), 10);
    });
  };

  // Linger: when the service is done (its last task gone), the process
  // stays for LINGER_ENV ms with a fresh service for the next container, so
  // a stream of short containers reuses one warm shim instead of paying a
  // Node start-up each. `start` calls Lifecycle/Hold before it hands this
  // shim's address to containerd; a held shim does not exit for HOLD_MS.
  const lingerMs = Number(process.env[LINGER_ENV] ?? DEFAULT_LINGER_MS);
  let service: TaskService | undefined;
  /** the service said it is done, and no Create has come since: the shim is idle */
  let recycled = false;
  let idle: NodeJS.Timeout | undefined;
  /** expiry times of Holds not yet followed by a Create: each is one container on its way */
  let holds: number[] = [];
  const holdUntil = () => {
    holds = holds.filter((x) => x > Date.now());
    return holds.length ? Math.max(...holds) : 0;
  };
  let inflight = 0;
  const armIdle = () => {
    if (idle) clearTimeout(idle);
    idle = setTimeout(onIdle, Math.max(lingerMs, holdUntil() - Date.now(), 0));
  };
  const onIdle = () => {
    idle = undefined;
    if (inflight || !recycled || exiting) return;
    if (holdUntil() > Date.now()) return armIdle();
    exit(lingerMs > 0 ? 'idle' : 'shutdown');
  };
  const ctx: ShimContext = {
    namespace: f.namespace,
    address: f.address,
    ttrpcAddress,
    publishBinary: f.publishBinary,
    debug: f.debug,
    publisher,
    keeper,
    exit: () => {
      // The next request gets a fresh service; this one is finished.
      service = undefined;
      recycled = true;
      if (lingerMs > 0 || holdUntil() > Date.now()) armIdle();
      else exit('shutdown');
    },
  };
  service = factory(ctx);
  const methods = Object.keys(service) as TaskMethod[];
  const task: Record<string, (req: Record<string, any>) => Promise<Record<string, any>>> = {};
  for (const m of methods) {
    task[m] = async (req) => {
      if (idle) clearTimeout(idle);
      idle = undefined;
      if (m === 'Create') {
        recycled = false;
        holds.shift();
      }
      inflight++;
      try {
        return await (service ??= factory(ctx))[m](req);
      } finally {
        inflight--;
        // A stray request (State of a gone task, a late Shutdown) on an idle shim keeps it no longer.
        if (recycled && !exiting && !idle) armIdle();
      }
    };
  }
  registerTyped(server, TASK_SERVICE, task);
  registerTyped(server, LIFECYCLE_SERVICE, {
    Hold() {
      if (exiting) throw new ShimError(Code.UNAVAILABLE, 'shim is exiting');
      holds.push(Date.now() + HOLD_MS);
      // The namespace's front door may have gone with the shim that served it.
      void door.claim();
      return Promise.resolve({});
    },
  });
  process.on('SIGTERM', () => exit('SIGTERM'));
  process.on('SIGINT', () => exit('SIGINT'));
  // A shared shim serves many containers: one bad request must not take them all down.
  process.on('uncaughtException', (e) => log.info(`uncaught: ${e.stack ?? e}`));
  process.on('unhandledRejection', (e) => log.info(`unhandled rejection: ${e instanceof Error ? e.stack : String(e)}`));
  // After a crash: the predecessor's containers were adopted by factory(ctx) above, now its connections.
  adoptConnections(keeper, server);
  keeper.releaseUntaken();
  await server.listen(f.socket ? { path: f.socket } : { fd: 3 });
  log.info(`serving ${TASK_SERVICE} for namespace ${f.namespace}`);
  // After the Task service: a relayed `start` may send containerd here at once.
  await door.claim();
  // A predecessor that died idle (or whose containers all ended): linger and go, as it would have.
  const adopted = (service as Partial<{ tasks: { containers: Map<string, unknown> } }>).tasks?.containers.size ?? 0;
  if (keeper.respawned && adopted === 0) ctx.exit();
}

/** The keeper got containerd's oom_score_adj + 1 from `start`, maybe after it had spawned us. */
function inheritOomScore(): void {
  try {
    fs.writeFileSync('/proc/self/oom_score_adj', fs.readFileSync(`/proc/${process.ppid}/oom_score_adj`, 'utf8'));
  } catch {
    // not fatal, as in start.ts
  }
}
