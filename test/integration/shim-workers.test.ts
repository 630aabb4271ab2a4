// The shim's lifecycle workers (src/shim/task/lifecycle.ts) end when idle.
// The containers they started must not notice: an init is the child of the
// thread that cloned it, and a thread's exit fires its children's
// parent-death signal. Here the container's process asks for SIGKILL on its
// parent's death (setpriv --pdeathsig, as tini -p does), the worker that
// created it retires, and the container lives on. Before the addon cloned
// from a lasting thread (native/addon/spawn.cc OnLastingThread) the worker's
// exit killed it: Wait returned exitStatus 137 at once.
import * as fs from 'fs';
import t from 'tap';
import { sleep } from '../engines';
import { newTaskService } from '../../src/shim/task';
import { LifecycleWorkers } from '../../src/shim/task/lifecycle';
import type { Publisher, ShimContext } from '../../src/shim/types';
import { Env, testSpec } from '../helpers';

const env = new Env('shimworkers');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

const publisher: Publisher = { publish: () => undefined, flush: async () => undefined };
const ctx: ShimContext = {
  namespace: 'shimworkers',
  address: '',
  ttrpcAddress: '',
  publishBinary: '',
  debug: false,
  publisher,
  exit: () => undefined,
};
const workers = new LifecycleWorkers(4, 300);
const svc = newTaskService(ctx, { root: env.root, workers });
t.teardown(() => workers.close());

const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));

t.test(
  "a retired worker is no parent's death to the containers it started",
  { skip: setpriv ? false : 'setpriv is not installed' },
  async (t) => {
    const id = env.id();
    // The host's setpriv and its libraries, run by the host's loader from a read-only bind of /usr on /home (a directory the image has: its rootfs is read-only).
    const b = env.bundle(
      testSpec(
        [
          '/home/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
          '--library-path',
          '/home/lib/x86_64-linux-gnu',
          '/home/bin/setpriv',
          '--pdeathsig',
          'KILL',
          '/bin/sleep',
          '1000',
        ],
        (s) => {
          s.mounts!.push({ destination: '/home', type: 'bind', source: '/usr', options: ['rbind', 'ro'] });
        },
      ),
    );
    const c = await svc
      .Create({ id, bundle: b, rootfs: [], terminal: false, stdin: '', stdout: '', stderr: '', checkpoint: '' })
      .catch((e: unknown) => {
        t.fail(e instanceof Error ? e.message : String(e));
        throw e;
      });
    const pid = (c as { pid: number }).pid;
    env.pids.add(pid);
    await svc.Start({ id, execId: '' });
    let exited = false;
    const waited = svc.Wait({ id, execId: '' }).then((w) => ((exited = true), w));
    for (let i = 0; i < 50 && !/^\/bin\/sleep\0/.test(cmdline(pid)); i++) await sleep(100);
    t.match(cmdline(pid), /^\/bin\/sleep\0/, 'the container runs sleep, its parent-death signal set');
    t.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), /\nState:\s+S/, 'alive');
    for (let i = 0; i < 50 && workers.size > 0; i++) await sleep(100);
    t.equal(workers.size, 0, 'the idle worker ended');
    await sleep(300);
    t.notOk(exited, 'the container did not exit');
    t.equal((await svc.State({ id, execId: '' })).status, 2, 'State: RUNNING');
    await svc.Kill({ id, execId: '', signal: 9, all: false });
    t.equal((await waited).exitStatus, 137, 'our SIGKILL ends it');
    await svc.Delete({ id, execId: '' });
  },
);

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}
