// The shim's Task service in-process: real containers from the busybox
// rootfs driven through the service's rpc methods, stdio through real
// fifos, events caught by a recording Publisher (the transport's side of the
// contract; the kernel is never mocked). The overlay rootfs is mounted by
// the service as containerd's shim would, so this file re-runs itself in a
// private mount namespace: no mount of it can reach the host's.
import { spawnSync } from 'child_process';
if (!process.env.CARTON_SHIM_TEST_PRIVATE_NS) {
  const r = spawnSync(
    'unshare',
    ['-m', '--propagation', 'private', process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    {
      stdio: 'inherit',
      env: { ...process.env, CARTON_SHIM_TEST_PRIVATE_NS: '1' },
    },
  );
  process.exit(r.status ?? 1);
}
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import t, { type Test } from 'tap';
import { hostLayout } from '../../src/cgroups/mounts';
import { addon } from '../../src/native';
import { newTaskService } from '../../src/shim/task';
import { Code, ShimError, type Publisher, type ShimContext } from '../../src/shim/types';
import type { Spec } from '../../src/spec/types';
import { Env, ROOTFS, testSpec } from '../helpers';

const env = new Env('shimtask');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

interface Event {
  topic: string;
  type: string;
  event: Record<string, any>;
}
const events: Event[] = [];
const publisher: Publisher = {
  publish: (topic, type, event) => void events.push({ topic, type, event }),
  flush: async () => undefined,
};
let exits = 0;
const ctx: ShimContext = {
  namespace: 'shimtest',
  address: '',
  ttrpcAddress: '',
  publishBinary: '',
  debug: false,
  publisher,
  exit: () => void exits++,
};
const svc = newTaskService(ctx, { root: env.root });
const STATUS = { CREATED: 1, RUNNING: 2, STOPPED: 3, PAUSED: 4 };

function eventsOf(id: string): Event[] {
  return events.filter((e) => e.event.containerId === id);
}

/** A fifo and a reader on it opened first, as containerd's cio does; resolves to all it read. */
function fifoOut(name: string): { path: string; text: Promise<string> } {
  const p = path.join(env.dir, name);
  addon().mkfifo(p, 0o600);
  const sock = new net.Socket({
    fd: fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK),
    readable: true,
    writable: false,
  });
  const chunks: Buffer[] = [];
  const text = new Promise<string>((resolve) => {
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    sock.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
  return { path: p, text };
}

function fifoIn(name: string): { path: string; open: () => number } {
  const p = path.join(env.dir, name);
  addon().mkfifo(p, 0o600);
  // O_RDWR: an exec's reader only appears at Start; containerd's writer waits for it the same way.
  return { path: p, open: () => fs.openSync(p, fs.constants.O_RDWR) };
}

async function rejects(t: Test, p: Promise<unknown>, code: number, msg: RegExp, what: string): Promise<void> {
  try {
    await p;
    t.fail(`${what}: no error`);
  } catch (e) {
    t.ok(e instanceof ShimError, `${what}: a ShimError`);
    t.equal((e as ShimError).code, code, `${what}: code ${code}`);
    t.match((e as ShimError).message, msg, what);
    t.notMatch((e as ShimError).message, /\n/, `${what}: one line`);
  }
}

/** Every cgroup hierarchy's mount point on this host (v1 controllers and cgroup2). */
function hierarchies(): string[] {
  const l = hostLayout();
  return [...l.v1.map((h) => h.mountPoint), ...(l.unified ? [l.unified.mountPoint] : [])];
}

function stored(id: string): { cgroup: { dirs: Record<string, string> }; pid: number } {
  return JSON.parse(fs.readFileSync(path.join(env.root, id, 'state.json'), 'utf8'));
}

function cgroupFile(id: string, ctrl: string, file: string): string {
  const dirs = stored(id).cgroup.dirs;
  const dir = Object.entries(dirs).find(([k]) => k.split(',').includes(ctrl))?.[1];
  if (dir === undefined) throw new Error(`${id} has no ${ctrl} cgroup`);
  return fs.readFileSync(path.join(dir, file), 'utf8').trim();
}

function bundleFor(args: string[], edit?: (s: Spec) => void): string {
  return env.bundle(testSpec(args, edit));
}

async function run(id: string, bundle: string, io: Record<string, unknown> = {}): Promise<number> {
  const c = await svc.Create({
    id,
    bundle,
    rootfs: [],
    terminal: false,
    stdin: '',
    stdout: '',
    stderr: '',
    checkpoint: '',
    ...io,
  });
  env.pids.add(c.pid);
  await svc.Start({ id, execId: '' });
  return c.pid;
}

t.test('create, start, state, wait, delete: exit code, stdout and stderr through fifos, events in order', async (t) => {
  const id = env.id();
  const out = fifoOut(`${id}.out`);
  const err = fifoOut(`${id}.err`);
  const b = bundleFor(['sh', '-c', 'echo to-out; echo to-err >&2; exit 3']);
  const c = await svc.Create({
    id,
    bundle: b,
    rootfs: [],
    terminal: false,
    stdin: '',
    stdout: out.path,
    stderr: err.path,
    checkpoint: '',
  });
  env.pids.add(c.pid);
  t.ok(c.pid > 0, 'Create replies with the init pid');
  t.ok(
    fs.existsSync(path.join(env.root, id, 'state.json')),
    'carton state under the shim root (carton --root ... list)',
  );
  const listed = env.carton(['list', '-q']);
  t.match(listed.stdout, id, "carton list sees the shim's container");
  t.equal((await svc.State({ id, execId: '' })).status, STATUS.CREATED);
  const s = await svc.Start({ id, execId: '' });
  t.equal(s.pid, c.pid);
  const w = await svc.Wait({ id, execId: '' });
  t.equal(w.exitStatus, 3, 'Wait gives the exit code');
  t.ok(w.exitedAt.seconds > 0, 'and the exit time');
  t.equal(await out.text, 'to-out\n');
  t.equal(await err.text, 'to-err\n');
  const st = await svc.State({ id, execId: '' });
  t.equal(st.status, STATUS.STOPPED);
  t.equal(st.exitStatus, 3);
  t.equal(st.stdout, out.path);
  const d = await svc.Delete({ id, execId: '' });
  t.equal(d.exitStatus, 3);
  t.equal(d.pid, c.pid);
  t.notOk(fs.existsSync(path.join(env.root, id)), "Delete removed carton's state");
  t.same(
    eventsOf(id).map((e) => e.topic),
    ['/tasks/create', '/tasks/start', '/tasks/exit', '/tasks/delete'],
  );
  const [create, , exit, del] = eventsOf(id);
  t.equal(create?.type, 'containerd.events.TaskCreate');
  t.same(create?.event.io, { stdin: '', stdout: out.path, stderr: err.path, terminal: false });
  t.equal(create?.event.pid, c.pid);
  t.match(exit?.event, { containerId: id, id, pid: c.pid, exitStatus: 3 });
  t.match(del?.event, { containerId: id, pid: c.pid, exitStatus: 3 });
  await rejects(t, svc.State({ id, execId: '' }), Code.NOT_FOUND, new RegExp(`container ${id}`), 'State after Delete');
});

// The fifos are handed to carton-init as its 0-2 by spawnInit itself, on both
// spawn paths; the shim's own 0-2 are never swapped, even for a moment.
for (const via of ['clone3', 'posix_spawn']) {
  t.test(`stdio through fifos when init is spawned by ${via}; the shim's own 0-2 untouched`, async (t) => {
    if (via === 'posix_spawn') process.env.CARTON_TEST_SPAWN_FALLBACK = '1';
    t.teardown(() => void delete process.env.CARTON_TEST_SPAWN_FALLBACK);
    const own = [0, 1, 2].map((fd) => fs.fstatSync(fd)).map((st) => `${st.dev}:${st.ino}`);
    const id = env.id();
    const out = fifoOut(`${id}.out`);
    const err = fifoOut(`${id}.err`);
    const c = await svc.Create({
      id,
      bundle: bundleFor(['sh', '-c', 'echo out; echo err >&2']),
      rootfs: [],
      terminal: false,
      stdin: '',
      stdout: out.path,
      stderr: err.path,
      checkpoint: '',
    });
    env.pids.add(c.pid);
    t.same(
      [0, 1, 2].map((fd) => fs.fstatSync(fd)).map((st) => `${st.dev}:${st.ino}`),
      own,
      "the shim's stdio as before",
    );
    await svc.Start({ id, execId: '' });
    t.equal((await svc.Wait({ id, execId: '' })).exitStatus, 0);
    t.equal(await out.text, 'out\n');
    t.equal(await err.text, 'err\n');
    await svc.Delete({ id, execId: '' });
  });
}

t.test('stdin: fifo data reaches the process; EOF from the writer and CloseIO both end it', async (t) => {
  const id = env.id();
  const inp = fifoIn(`${id}.in`);
  const out = fifoOut(`${id}.out`);
  const b = bundleFor(['cat']);
  await svc.Create({
    id,
    bundle: b,
    rootfs: [],
    terminal: false,
    stdin: inp.path,
    stdout: out.path,
    stderr: '',
    checkpoint: '',
  });
  env.pids.add(stored(id).pid);
  const w = inp.open();
  await svc.Start({ id, execId: '' });
  fs.writeSync(w, 'hello stdin\n');
  fs.closeSync(w);
  t.equal((await svc.Wait({ id, execId: '' })).exitStatus, 0, 'cat saw EOF when the writer closed');
  t.equal(await out.text, 'hello stdin\n');
  await svc.Delete({ id, execId: '' });

  const id2 = env.id();
  const inp2 = fifoIn(`${id2}.in`);
  await svc.Create({
    id: id2,
    bundle: b,
    rootfs: [],
    terminal: false,
    stdin: inp2.path,
    stdout: '',
    stderr: '',
    checkpoint: '',
  });
  env.pids.add(stored(id2).pid);
  const w2 = inp2.open();
  await svc.Start({ id: id2, execId: '' });
  await svc.CloseIO({ id: id2, execId: '', stdin: true });
  t.equal(
    (await svc.Wait({ id: id2, execId: '' })).exitStatus,
    0,
    'CloseIO gave cat its EOF while containerd still held the fifo',
  );
  fs.closeSync(w2);
  await svc.Delete({ id: id2, execId: '' });
});

t.test('exec: added, started, its own stdout and exit code; pids; kill the init; execs die with it', async (t) => {
  const id = env.id();
  const pid = await run(id, bundleFor(['sleep', '1000']));
  t.equal((await svc.State({ id, execId: '' })).status, STATUS.RUNNING);
  const out = fifoOut(`${id}.exec.out`);
  const proc = {
    args: ['sh', '-c', 'echo exec-says $FOO; exit 7'],
    cwd: '/',
    env: ['PATH=/bin', 'FOO=bar'],
    user: { uid: 0, gid: 0 },
  };
  await svc.Exec({
    id,
    execId: 'e1',
    terminal: false,
    stdin: '',
    stdout: out.path,
    stderr: '',
    spec: {
      typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/Process',
      value: Buffer.from(JSON.stringify(proc)),
    },
  });
  t.equal((await svc.State({ id, execId: 'e1' })).status, STATUS.CREATED, 'an added exec is CREATED');
  await rejects(
    t,
    svc.Exec({ id, execId: 'e1', spec: { typeUrl: '', value: Buffer.from(JSON.stringify(proc)) } }),
    Code.ALREADY_EXISTS,
    /e1/,
    'the same execId twice',
  );
  const started = await svc.Start({ id, execId: 'e1' });
  t.ok(started.pid > 0 && started.pid !== pid);
  env.pids.add(started.pid);
  const w = await svc.Wait({ id, execId: 'e1' });
  t.equal(w.exitStatus, 7, "the exec's exit code");
  t.equal(await out.text, 'exec-says bar\n');
  const est = await svc.State({ id, execId: 'e1' });
  t.match(est, { id: 'e1', execId: 'e1', status: STATUS.STOPPED, exitStatus: 7, pid: started.pid });
  const del = await svc.Delete({ id, execId: 'e1' });
  t.equal(del.exitStatus, 7);
  await rejects(t, svc.State({ id, execId: 'e1' }), Code.NOT_FOUND, /e1/, 'a deleted exec');

  await svc.Exec({
    id,
    execId: 'e2',
    terminal: false,
    stdin: '',
    stdout: '',
    stderr: '',
    spec: { typeUrl: '', value: Buffer.from(JSON.stringify({ ...proc, args: ['sleep', '1000'] })) },
  });
  const e2 = await svc.Start({ id, execId: 'e2' });
  env.pids.add(e2.pid);
  const ps = (await svc.Pids({ id })).processes.map((p: { pid: number }) => p.pid);
  t.ok(ps.includes(pid) && ps.includes(e2.pid), 'Pids lists the init and the exec');
  t.same(
    (await svc.Pids({ id })).processes.find((p: { pid: number }) => p.pid === e2.pid).info,
    { typeUrl: 'containerd.runc.v1.ProcessDetails', object: { execId: 'e2' } },
    "an exec's pid carries its execId",
  );
  await rejects(t, svc.Delete({ id, execId: 'e2' }), Code.FAILED_PRECONDITION, /running/, 'Delete of a running exec');
  await rejects(
    t,
    svc.Delete({ id, execId: '' }),
    Code.FAILED_PRECONDITION,
    /not stopped: running/,
    'Delete of a running container',
  );

  await svc.Kill({ id, execId: '', signal: 9, all: false });
  t.equal((await svc.Wait({ id, execId: '' })).exitStatus, 137, "SIGKILL: 128+9, as runc's shim reports");
  t.equal((await svc.Wait({ id, execId: 'e2' })).exitStatus, 137, 'the exec died with the init (its pid namespace)');
  await rejects(
    t,
    svc.Kill({ id, execId: '', signal: 15 }),
    Code.NOT_FOUND,
    /process already finished/,
    'Kill after exit',
  );
  await svc.Delete({ id, execId: '' });
  const topics = eventsOf(id).map((e) => e.topic);
  t.same(topics.slice(0, 6), [
    '/tasks/create',
    '/tasks/start',
    '/tasks/exec-added',
    '/tasks/exec-started',
    '/tasks/exit',
    '/tasks/exec-added',
  ]);
  t.same(
    eventsOf(id)
      .filter((e) => e.topic === '/tasks/exit')
      .map((e) => e.event.id)
      .sort(),
    [id, 'e1', 'e2'].sort(),
    'a TaskExit for the init and each exec',
  );
  t.match(eventsOf(id).find((e) => e.topic === '/tasks/exec-started')!.event, { execId: 'e1', pid: started.pid });
});

t.test('kill with all, pause and resume seen in State and the freezer, stats, update', async (t) => {
  const id = env.id();
  await run(id, bundleFor(['sh', '-c', 'sleep 1000 & sleep 1000 & wait']));
  await svc.Pause({ id });
  t.equal((await svc.State({ id, execId: '' })).status, STATUS.PAUSED);
  t.equal(cgroupFile(id, 'freezer', 'freezer.state'), 'FROZEN');
  await svc.Resume({ id });
  t.equal((await svc.State({ id, execId: '' })).status, STATUS.RUNNING);
  t.equal(cgroupFile(id, 'freezer', 'freezer.state'), 'THAWED');
  await rejects(t, svc.Resume({ id }), Code.FAILED_PRECONDITION, /not paused/, 'Resume of a running container');
  t.same(
    eventsOf(id)
      .map((e) => e.topic)
      .slice(2),
    ['/tasks/paused', '/tasks/resumed'],
  );

  // The shell forks its two sleeps after start: wait until both are there.
  for (let i = 0; i < 200 && (await svc.Pids({ id })).processes.length < 3; i++)
    await new Promise((r) => setTimeout(r, 25));
  const st = await svc.Stats({ id });
  t.equal(st.stats.typeUrl, 'io.containerd.cgroups.v1.Metrics', 'v1 Metrics on this hybrid host');
  const m = st.stats.object;
  t.ok(m.memory.usage.usage > 0, `memory usage ${String(m.memory.usage.usage)}`);
  t.ok(m.memory.usage.usage < 1 << 30, 'memory usage below 1 GiB');
  t.equal(m.pids.current, 3, 'pids.current: sh and two sleeps');
  t.ok(m.cpu.usage.total > 0, 'cpu usage counted');
  t.equal(m.memoryOomControl.oomKill, 0);

  const resources = { memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 50 } };
  await svc.Update({
    id,
    resources: {
      typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources',
      value: Buffer.from(JSON.stringify(resources)),
    },
  });
  t.equal(cgroupFile(id, 'memory', 'memory.limit_in_bytes'), String(64 * 1024 * 1024), 'Update wrote the memory limit');
  t.equal(cgroupFile(id, 'pids', 'pids.max'), '50');
  await rejects(
    t,
    svc.Update({ id, resources: { typeUrl: '', value: Buffer.from('{not json') } }),
    Code.INVALID_ARGUMENT,
    /resources/,
    'Update with bad JSON',
  );

  await svc.Kill({ id, execId: '', signal: 9, all: true });
  t.equal((await svc.Wait({ id, execId: '' })).exitStatus, 137);
  await svc.Delete({ id, execId: '' });
});

t.test('OOM: a small memory limit publishes TaskOOM before the exit', async (t) => {
  const id = env.id();
  const limit = 16 * 1024 * 1024;
  const b = bundleFor(['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], (s) => {
    s.linux!.resources = { memory: { limit, swap: limit } };
  });
  await run(id, b);
  t.equal((await svc.Wait({ id, execId: '' })).exitStatus, 137, "the OOM killer's SIGKILL");
  const topics = eventsOf(id).map((e) => e.topic);
  t.ok(topics.includes('/tasks/oom'), 'TaskOOM published');
  t.ok(topics.indexOf('/tasks/oom') < topics.indexOf('/tasks/exit'), 'before TaskExit');
  t.equal(eventsOf(id).find((e) => e.topic === '/tasks/oom')!.type, 'containerd.events.TaskOOM');
  await svc.Delete({ id, execId: '' });
});

t.test('terminal: the pty relays to the stdout fifo and follows ResizePty', async (t) => {
  const id = env.id();
  const out = fifoOut(`${id}.out`);
  const b = bundleFor(['sh', '-c', 'tty; stty size'], (s) => {
    s.process!.terminal = true;
  });
  await svc.Create({
    id,
    bundle: b,
    rootfs: [],
    terminal: true,
    stdin: '',
    stdout: out.path,
    stderr: '',
    checkpoint: '',
  });
  env.pids.add(stored(id).pid);
  await svc.ResizePty({ id, execId: '', width: 123, height: 45 });
  await svc.Start({ id, execId: '' });
  t.equal((await svc.Wait({ id, execId: '' })).exitStatus, 0);
  t.match(await out.text, /^\/dev\/pts\/\d+\r\n45 123\r\n$/, 'a tty of the requested size');
  t.match(await svc.State({ id, execId: '' }), { terminal: true });
  await svc.Delete({ id, execId: '' });

  // An exec with its own terminal, in a container without one; its output to a file:// log.
  const id2 = env.id();
  await run(id2, bundleFor(['sleep', '1000']));
  const log = path.join(env.dir, `${id2}.tty.log`);
  const inp = fifoIn(`${id2}.tty.in`);
  const proc = {
    terminal: true,
    args: ['sh', '-c', 'read line; echo "got $line on $(tty)"'],
    cwd: '/',
    env: ['PATH=/bin'],
    user: { uid: 0, gid: 0 },
  };
  await svc.Exec({
    id: id2,
    execId: 't1',
    terminal: true,
    stdin: inp.path,
    stdout: `file://${log}`,
    stderr: '',
    spec: { typeUrl: '', value: Buffer.from(JSON.stringify(proc)) },
  });
  const w = inp.open();
  env.pids.add((await svc.Start({ id: id2, execId: 't1' })).pid);
  fs.writeSync(w, 'typed\r');
  t.equal((await svc.Wait({ id: id2, execId: 't1' })).exitStatus, 0);
  fs.closeSync(w);
  t.match(fs.readFileSync(log, 'utf8'), /got typed on \/dev\/pts\/\d+\r\n$/, 'stdin fifo -> pty -> file:// log');
  await svc.Kill({ id: id2, execId: '', signal: 9 });
  await svc.Wait({ id: id2, execId: '' });
  await svc.Delete({ id: id2, execId: '' });
});

t.test(
  'Delete of a created container that never started kills its init: TaskExit 137, TaskDelete, nothing left',
  async (t) => {
    const id = env.id();
    const c = await svc.Create({
      id,
      bundle: bundleFor(['true']),
      rootfs: [],
      terminal: false,
      stdin: '',
      stdout: '',
      stderr: '',
      checkpoint: '',
    });
    env.pids.add(c.pid);
    // The directories the container really had, in every hierarchy (v1 and
    // cgroup2): a fixed v1 path was absent whatever Delete did on a v2 host.
    const dirs = Object.values(stored(id).cgroup.dirs);
    t.ok(dirs.length > 0 && dirs.every((d) => fs.existsSync(d)), 'the container has its cgroups');
    await svc.Kill({ id, execId: '', signal: 0 });
    t.equal(
      (await svc.State({ id, execId: '' })).status,
      STATUS.CREATED,
      'signal 0 reaches a created init and leaves it be',
    );
    const d = await svc.Delete({ id, execId: '' });
    t.equal(d.exitStatus, 137);
    t.same(
      eventsOf(id).map((e) => e.topic),
      ['/tasks/create', '/tasks/exit', '/tasks/delete'],
    );
    t.notOk(fs.existsSync(path.join(env.root, id)), 'no state left');
    for (const d of dirs) t.notOk(fs.existsSync(d), `no cgroup left: ${d}`);
  },
);

t.test("an overlay rootfs from Create's mounts, file:// and binary:// logs; Delete unmounts", async (t) => {
  const id = env.id();
  const dir = path.join(env.dir, `ovl-${id}`);
  for (const d of ['upper', 'work']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  const spec = testSpec(['sh', '-c', 'echo written > /made-here; cat /made-here']);
  spec.root = { path: 'rootfs', readonly: false };
  const b = env.bundle(spec);
  const log = path.join(env.dir, `${id}.log`);
  const rootfs = [
    {
      type: 'overlay',
      source: 'overlay',
      target: '',
      options: [`lowerdir=${ROOTFS}`, `upperdir=${dir}/upper`, `workdir=${dir}/work`, 'index=off'],
    },
  ];
  await run(id, b, { rootfs, stdout: `file://${log}`, stderr: `file://${log}` });
  t.ok(
    fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(path.join(b, 'rootfs')),
    'the overlay is mounted on <bundle>/rootfs',
  );
  t.equal((await svc.Wait({ id, execId: '' })).exitStatus, 0);
  t.equal(
    fs.readFileSync(path.join(dir, 'upper', 'made-here'), 'utf8'),
    'written\n',
    'the write went to the upper dir',
  );
  t.equal(fs.readFileSync(log, 'utf8'), 'written\n', 'stdout in the file:// log');
  t.same(eventsOf(id)[0]?.event.rootfs, rootfs, 'TaskCreate carries the mounts');
  await svc.Delete({ id, execId: '' });
  t.notOk(fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(path.join(b, 'rootfs')), 'Delete unmounted it');

  const id2 = env.id();
  const logger = path.join(env.dir, 'logger.sh');
  fs.writeFileSync(
    logger,
    '#!/bin/sh\nexec 5>&-\n/bin/cat <&3 > "$2/out"; /bin/cat <&4 > "$2/err"\necho "$CONTAINER_ID $CONTAINER_NAMESPACE" > "$2/env"\n',
    { mode: 0o755 },
  );
  const logs = path.join(env.dir, `logs-${id2}`);
  fs.mkdirSync(logs);
  const uri = `binary://${logger}?dir=${encodeURIComponent(logs)}`;
  await run(id2, bundleFor(['sh', '-c', 'echo via-logger; echo err-logger >&2']), { stdout: uri, stderr: uri });
  t.equal((await svc.Wait({ id: id2, execId: '' })).exitStatus, 0);
  for (let i = 0; i < 200 && !fs.existsSync(path.join(logs, 'env')); i++) await new Promise((r) => setTimeout(r, 25));
  t.equal(fs.readFileSync(path.join(logs, 'out'), 'utf8'), 'via-logger\n', 'the logger got stdout on fd 3');
  t.equal(fs.readFileSync(path.join(logs, 'err'), 'utf8'), 'err-logger\n', 'and stderr on fd 4');
  t.equal(fs.readFileSync(path.join(logs, 'env'), 'utf8'), `${id2} shimtest\n`, 'CONTAINER_ID and CONTAINER_NAMESPACE');
  await svc.Delete({ id: id2, execId: '' });
});

t.test("a container in the host's pid namespace: its orphans re-parent to the shim and are reaped", async (t) => {
  // As the transport does: the shim is a child subreaper.
  addon().setSubreaper(true);
  const id = env.id();
  // An odd duration marks the orphan (a zombie's cmdline is empty: it is found alive).
  const marker = 'sleep\u00000.737\u0000';
  // The subshell exits at once; its sleep is orphaned and comes to us.
  const b = bundleFor(['sh', '-c', '(sleep 0.737 &); sleep 1000'], (s) => {
    s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
  });
  await run(id, b);
  const orphan = async () => {
    for (const name of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      try {
        if (fs.readFileSync(`/proc/${name}/cmdline`, 'utf8') === marker) return Number(name);
      } catch {
        // gone
      }
    }
    return 0;
  };
  let pid = 0;
  for (let i = 0; i < 200 && !pid; i++) {
    pid = await orphan();
    if (!pid) await new Promise((r) => setTimeout(r, 10));
  }
  t.ok(pid > 0, 'the orphan was seen');
  const stat = () => {
    try {
      const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return st.slice(st.lastIndexOf(')') + 2).split(' ');
    } catch {
      return null;
    }
  };
  t.equal(Number(stat()?.[1]), process.pid, 'its parent is now the shim');
  for (let i = 0; i < 300 && stat(); i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(stat(), null, 'its zombie was reaped, not left in the process table');
  const sleeper = { args: ['sleep', '1000'], cwd: '/', env: ['PATH=/bin'], user: { uid: 0, gid: 0 } };
  await svc.Exec({
    id,
    execId: 'x',
    terminal: false,
    stdin: '',
    stdout: '',
    stderr: '',
    spec: { typeUrl: '', value: Buffer.from(JSON.stringify(sleeper)) },
  });
  env.pids.add((await svc.Start({ id, execId: 'x' })).pid);
  await svc.Kill({ id, execId: '', signal: 9, all: false });
  t.equal((await svc.Wait({ id, execId: '' })).exitStatus, 137);
  t.equal(
    (await svc.Wait({ id, execId: 'x' })).exitStatus,
    137,
    "with no pid namespace to end it, the shim killed the exec when the init exited (as runc's shim)",
  );
  await svc.Delete({ id, execId: '' });
  addon().setSubreaper(false);
});

t.test('errors: one line, the right code, and a failed Create leaves nothing', async (t) => {
  await rejects(t, svc.State({ id: 'nope', execId: '' }), Code.NOT_FOUND, /nope/, 'State of an unknown id');
  await rejects(t, svc.Kill({ id: 'nope', execId: '', signal: 9 }), Code.NOT_FOUND, /nope/, 'Kill of an unknown id');
  const id = env.id();
  await run(id, bundleFor(['sleep', '1000']));
  await rejects(
    t,
    svc.Create({ id, bundle: bundleFor(['true']), rootfs: [] }),
    Code.ALREADY_EXISTS,
    new RegExp(id),
    'Create of a taken id',
  );
  await rejects(t, svc.Start({ id, execId: '' }), Code.FAILED_PRECONDITION, /already running/, 'Start twice');
  await rejects(t, svc.Checkpoint({ id, path: '/tmp/x' }), Code.FAILED_PRECONDITION, /CRIU/, 'Checkpoint names CRIU');
  t.same(await svc.Connect({ id }), { shimPid: process.pid, taskPid: stored(id).pid, version: '' });
  t.same(await svc.Shutdown({ id, now: false }), {});
  t.equal(exits, 0, 'Shutdown with a task left does nothing');
  // An exec, not the init: a pid 1 without a handler never dies of SIGTERM.
  const sleeper = { args: ['sleep', '1000'], cwd: '/', env: ['PATH=/bin'], user: { uid: 0, gid: 0 } };
  await svc.Exec({
    id,
    execId: 'term',
    terminal: false,
    stdin: '',
    stdout: '',
    stderr: '',
    spec: { typeUrl: '', value: Buffer.from(JSON.stringify(sleeper)) },
  });
  await rejects(
    t,
    svc.Kill({ id, execId: 'term', signal: 15 }),
    Code.FAILED_PRECONDITION,
    /not started/,
    'Kill of an exec not started',
  );
  env.pids.add((await svc.Start({ id, execId: 'term' })).pid);
  await svc.Kill({ id, execId: 'term', signal: 15 });
  t.equal((await svc.Wait({ id, execId: 'term' })).exitStatus, 143, 'SIGTERM: 128+15');
  await rejects(
    t,
    svc.Exec({ id, execId: 'bad', spec: { typeUrl: '', value: Buffer.from('[1') } }),
    Code.INVALID_ARGUMENT,
    /spec/,
    'Exec with a spec that is not JSON',
  );
  await svc.Kill({ id, execId: '', signal: 9 });
  await svc.Wait({ id, execId: '' });
  await svc.Delete({ id, execId: '' });

  const bad = env.id();
  const badBundle = env.bundle(
    testSpec(['true'], (s) => {
      (s.process as unknown as Record<string, unknown>).cwd = 'relative';
    }),
  );
  await rejects(
    t,
    svc.Create({ id: bad, bundle: badBundle, rootfs: [], stdout: fifoOut(`${bad}.out`).path }),
    Code.INVALID_ARGUMENT,
    /config\.json/,
    'Create with a bad config.json',
  );
  t.notOk(fs.existsSync(path.join(env.root, bad)), 'no state left');
  for (const h of hierarchies()) t.notOk(fs.existsSync(path.join(h, 'carton', bad)), `no cgroup left in ${h}`);

  const mnt = env.id();
  const mb = env.bundle(testSpec(['true'], (s) => (s.root = { path: 'rootfs' })));
  await rejects(
    t,
    svc.Create({
      id: mnt,
      bundle: mb,
      rootfs: [{ type: 'overlay', source: 'overlay', options: ['lowerdir=/nonexistent-lower'] }],
    }),
    Code.INTERNAL,
    /rootfs\[0\]: mount overlay/,
    'Create with a bad mount',
  );
  t.notOk(fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(mb), 'no mount left');
  t.notOk(fs.existsSync(path.join(env.root, mnt)), 'no state left');
  await rejects(
    t,
    svc.State({ id: mnt, execId: '' }),
    Code.NOT_FOUND,
    new RegExp(mnt),
    'the failed container is unknown',
  );

  t.equal(svc.tasks.containers.size, 0, 'no task left');
  await svc.Shutdown({ id, now: false });
  t.equal(exits, 1, 'Shutdown with no task left exits');
});
