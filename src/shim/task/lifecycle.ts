// Lifecycle operations off the event loop (issue 16). carton's library is
// synchronous: a prestart hook that sleeps 3 s holds whatever thread runs
// it for 3 s. In the serving shim that thread must not be the one that
// relays every container's output, reaps, publishes and answers State/Pids,
// so create, start, exec, kill, delete, pause, resume and update run in a
// small pool of worker threads (lifecycle-worker.ts), one operation per
// worker at a time; a worker is added when all are busy, up to MAX_WORKERS.
//
// Why threads and not a child process per operation (as runc's shim runs
// runc): a warm worker adds ~1 ms to an operation where a carton CLI
// start-up adds tens of ms, and the inits a worker starts are children of
// the shim's own thread group, so the shim reaps them directly. The price
// is memory: a worker with the library loaded is ~9 MiB (~8 of it an empty
// isolate), so a worker idle for IDLE_MS ends and the next operation starts
// a new one (~0.1 s).
// That is safe because the addon clones inits from a thread that lives as
// long as the process (native/addon/spawn.cc OnLastingThread): a thread's
// exit would otherwise fire the parent-death signal of the inits it cloned.
import * as path from 'path';
import { SHARE_ENV, Worker } from 'worker_threads';
import { nativeDir } from '../../paths';
import { Code, ShimError } from '../types';

export type LifecycleOp = 'create' | 'start' | 'exec' | 'kill' | 'signalAll' | 'delete' | 'pause' | 'resume' | 'update';

export interface LifecycleArgs {
  id: string;
  bundle?: string;
  systemdCgroup?: boolean;
  stdio?: [number, number, number];
  signal?: number;
  all?: boolean;
  /** exec's options (ExecOptions: a plain object) */
  exec?: Record<string, unknown>;
  resources?: unknown;
}

export interface LifecycleRequest {
  seq: number;
  op: LifecycleOp;
  root: string;
  args: LifecycleArgs;
}

export interface LifecycleReply {
  seq: number;
  value?: any;
  error?: { code: number; message: string };
}

/** Concurrent blocking operations before the next one queues. */
export const MAX_WORKERS = 4;
/** An idle worker ends after this long. */
const IDLE_MS = 5000;
/** The worker's own entry (src/shim/worker-entry.ts, bundled as dist/shim-worker.js); build/Release's package root holds it. */
const SCRIPT = path.join(nativeDir, '..', '..', 'bin', 'containerd-shim-carton-worker.js');

interface Slot {
  w: Worker;
  pending?: { seq: number; resolve: (v: any) => void; reject: (e: Error) => void };
  idle?: NodeJS.Timeout;
}

export class LifecycleWorkers {
  private readonly slots: Slot[] = [];
  private readonly queue: Array<() => void> = [];
  private seq = 0;

  constructor(
    private readonly max = MAX_WORKERS,
    private readonly idleMs = IDLE_MS,
    private readonly script = SCRIPT,
  ) {}

  /** Start the first worker now, so the first Create does not wait for its start-up. */
  warm(): void {
    if (!this.slots.length) this.spawn();
  }

  get size(): number {
    return this.slots.length;
  }

  run<T = unknown>(root: string, op: LifecycleOp, args: LifecycleArgs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const go = () => {
        let slot = this.slots.find((s) => !s.pending);
        if (!slot && this.slots.length < this.max) {
          try {
            slot = this.spawn();
          } catch (e) {
            return reject(new ShimError(Code.INTERNAL, `start a lifecycle worker: ${(e as Error).message}`));
          }
        }
        if (!slot) return void this.queue.push(go);
        const seq = ++this.seq;
        clearTimeout(slot.idle);
        slot.pending = { seq, resolve, reject };
        // A busy worker keeps the shim's loop alive; an idle one does not.
        slot.w.ref();
        slot.w.postMessage({ seq, op, root, args } satisfies LifecycleRequest);
      };
      go();
    });
  }

  private spawn(): Slot {
    const w = new Worker(this.script, { env: SHARE_ENV, argv: [] });
    w.unref();
    const slot: Slot = { w };
    w.on('message', (m: LifecycleReply) => {
      const p = slot.pending;
      if (!p || m.seq !== p.seq) return;
      slot.pending = undefined;
      w.unref();
      if (m.error) p.reject(new ShimError(m.error.code, m.error.message));
      else p.resolve(m.value);
      this.queue.shift()?.();
      if (!slot.pending) this.retireLater(slot);
    });
    let gone = false;
    const lost = (why: string) => {
      if (gone) return;
      gone = true;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      slot.pending?.reject(new ShimError(Code.INTERNAL, `lifecycle worker: ${why}`));
      slot.pending = undefined;
      this.queue.shift()?.();
    };
    w.on('error', (e) => lost(e.message));
    w.on('exit', (code) => lost(`exited with status ${code}`));
    this.slots.push(slot);
    this.retireLater(slot);
    return slot;
  }

  private retireLater(slot: Slot): void {
    clearTimeout(slot.idle);
    slot.idle = setTimeout(() => {
      if (slot.pending) return;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      void slot.w.terminate();
    }, this.idleMs).unref();
  }

  async close(): Promise<void> {
    for (const s of this.slots) clearTimeout(s.idle);
    await Promise.all(this.slots.map((s) => s.w.terminate()));
  }
}

let shared: LifecycleWorkers | undefined;
/** The process's pool: a shim recycles its Task service, not its workers. */
export function lifecycleWorkers(): LifecycleWorkers {
  return (shared ??= new LifecycleWorkers());
}
