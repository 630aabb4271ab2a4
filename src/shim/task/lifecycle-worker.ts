// The lifecycle worker: a worker thread of the serving shim that runs the
// library calls that may block (hooks via spawnSync, the init handshake's
// blocking reads, systemd D-Bus, freezer retries), one at a time, so the
// shim's event loop keeps relaying output, reaping and answering for every
// other container meanwhile (issue 16). The pool that feeds it is
// lifecycle.ts; what each op does is the CLI's own code.
//
// fds are per process, not per thread: the stdio fds the main thread opened
// are the container's 0-2 here, and the console socket created here is
// received on by the main thread. The inits this thread clones are its
// children, which the main thread's waitpid() also reaps (same thread group).
import { parentPort } from 'worker_threads';
import { create } from '../../container/create';
import { del } from '../../container/delete';
import { startProcess, type ExecOptions } from '../../container/exec';
import { kill, signalAll } from '../../container/kill';
import { pause, resume } from '../../container/pause';
import { start } from '../../container/start';
import { update } from '../../container/update';
import type { Resources } from '../../cgroups/types';
import { Store } from '../../state/store';
import { toShimError } from './errors';
import type { LifecycleArgs, LifecycleOp, LifecycleReply, LifecycleRequest } from './lifecycle';

const stores = new Map<string, Store>();
const storeOf = (root: string) => {
  let s = stores.get(root);
  if (!s) stores.set(root, (s = new Store(root)));
  return s;
};

type Args = LifecycleArgs;
const ops: { [K in LifecycleOp]: (s: Store, a: Args) => unknown } = {
  create: (s, a) => {
    const c = create(s, {
      id: a.id,
      bundle: a.bundle,
      noPivot: false,
      noNewKeyring: false,
      preserveFds: 0,
      systemdCgroup: Boolean(a.systemdCgroup),
      detach: false,
      stdio: a.stdio,
    });
    return { state: c.state, console: c.console };
  },
  start: (s, a) => start(s, a.id),
  exec: (s, a) => startProcess(s, a.exec as unknown as ExecOptions),
  kill: (s, a) => kill(s, a.id, a.signal ?? 0, Boolean(a.all)),
  signalAll: (s, a) => signalAll(s.read(a.id), a.signal ?? 0),
  delete: (s, a) => del(s, a.id, false),
  pause: (s, a) => pause(s, a.id),
  resume: (s, a) => resume(s, a.id),
  update: (s, a) => update(s, a.id, a.resources as Resources),
};

export function serveLifecycle(): void {
  const port = parentPort!;
  // A plain object crosses postMessage; the class of a library error does
  // not, so it is turned into the ShimError it would become anyway.
  port.on('message', (m: LifecycleRequest) => {
    let reply: LifecycleReply;
    try {
      const value = ops[m.op](storeOf(m.root), m.args);
      reply = { seq: m.seq, value: value === undefined ? undefined : JSON.parse(JSON.stringify(value)) };
    } catch (e) {
      const s = toShimError(e);
      reply = { seq: m.seq, error: { code: s.code, message: s.message } };
    }
    port.postMessage(reply);
  });
  port.postMessage({ seq: 0, value: 'ready' } satisfies LifecycleReply);
}
