// containerd-shim-carton-v2's transport without containerd: the `start`
// handshake (address on stdout and in the bundle, one shim per namespace,
// one per CRI sandbox, a dead shim's socket replaced), serving over the
// handed-down socket, events to a stand-in for containerd's ttrpc Events
// service, exit on Shutdown, and `delete` force-deleting a real carton
// container. A test-only Task service (test/fixtures/shim-test-entry.ts)
// stands in for src/shim/task.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { build } from 'esbuild';
import t from 'tap';
import { Env, pidAlive, REPO, testSpec } from '../helpers';
import { rmdirIfEmpty, sleep } from '../engines';
import { keeperDir } from '../../src/shim/address';
import { TtrpcClient } from '../../src/shim/ttrpc/client';
import { decode } from '../../src/shim/ttrpc/proto';
import { TtrpcServer } from '../../src/shim/ttrpc/server';
import { registerTyped } from '../../src/shim/ttrpc/typed';
import { STATE_ROOT } from '../../src/shim/delete';
import { frontDoorPath } from '../../src/shim/frontdoor';
import { Code } from '../../src/shim/types';

const TASK = 'containerd.task.v2.Task';
const env = new Env('shimtr');
const ns = `shimtr-${process.pid}`;
const caddr = path.join(env.dir, 'containerd.sock');
const evsock = path.join(env.dir, 'containerd.sock.ttrpc');
const outDir = fs.mkdtempSync(path.join(REPO, 'dist', '.shim-test-'));
const shimJs = path.join(outDir, 'shim.js');
const shimPids = new Set<number>();
const sockets = new Set<string>();
const events: Array<Record<string, any>> = [];
let evServer: TtrpcServer;

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && pidAlive(pid); i++) await sleep(50);
  return !pidAlive(pid);
}

function shim(args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [shimJs, ...args], {
    cwd,
    encoding: 'buffer',
    timeout: 20000,
    env: { ...process.env, TTRPC_ADDRESS: evsock, ...extraEnv },
  });
  return { code: r.status, stdout: r.stdout, stderr: String(r.stderr), error: r.error };
}

function start(id: string, bundle: string, lingerMs = 0, extraEnv: NodeJS.ProcessEnv = {}) {
  const r = shim(['-namespace', ns, '-address', caddr, '-publish-binary', '/bin/false', '-id', id, 'start'], bundle, {
    CARTON_SHIM_LINGER_MS: String(lingerMs),
    ...extraEnv,
  });
  const address = String(r.stdout);
  if (address.startsWith('unix://')) sockets.add(address.slice('unix://'.length));
  return { ...r, address };
}

async function connect(address: string): Promise<{ client: TtrpcClient; shimPid: number }> {
  const client = await TtrpcClient.connect(address);
  const c = await client.call(
    TASK,
    'Connect',
    'containerd.task.v2.ConnectRequest',
    'containerd.task.v2.ConnectResponse',
    { id: 'x' },
  );
  shimPids.add(c.shimPid);
  return { client, shimPid: c.shimPid };
}

const full = (n: string) => (n.includes('.') ? n : `containerd.task.v2.${n}`);
const call = (c: TtrpcClient, method: string, req: Record<string, unknown>, reqType: string, resType: string) =>
  c.call(TASK, method, full(reqType), full(resType), req);
const EMPTY = 'google.protobuf.Empty';

t.before(async () => {
  await build({
    entryPoints: [path.join(REPO, 'test/fixtures/shim-test-entry.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: shimJs,
    logLevel: 'error',
  });
  evServer = new TtrpcServer();
  registerTyped(evServer, 'containerd.services.events.ttrpc.v1.Events', {
    async Forward(r) {
      events.push(r.envelope);
      return {};
    },
  });
  await evServer.listen({ path: evsock });
});

t.teardown(async () => {
  for (const p of shimPids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // each socket, and the records of the carton-keeper that served it (killed above, it could not remove them)
  for (const s of sockets) {
    fs.rmSync(s, { force: true });
    fs.rmSync(keeperDir(s), { recursive: true, force: true });
  }
  rmdirIfEmpty([path.join(STATE_ROOT, '.shim')]);
  fs.rmSync(frontDoorPath(caddr, ns), { force: true });
  fs.rmSync(path.join(STATE_ROOT, ns), { recursive: true, force: true });
  fs.rmSync(outDir, { recursive: true, force: true });
  await evServer.close(true);
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

t.test('bad invocations: one line, non-zero', async (t) => {
  const a = shim(['-id', 'x', 'start'], env.dir);
  t.equal(a.code, 1);
  t.equal(a.stderr, 'containerd-shim-carton-v2: shim namespace cannot be empty\n');
  const b = shim(['-namespace', ns, '-bogus', 'start'], env.dir);
  t.equal(b.code, 2);
  t.equal(b.stderr, 'containerd-shim-carton-v2: flag provided but not defined: -bogus\n');
  const c = start('nobundle', env.dir);
  t.equal(c.code, 1);
  t.match(c.stderr, /^containerd-shim-carton-v2: .*config\.json: ENOENT/);
  t.equal(c.stderr.split('\n').length, 2, 'one line');
});

t.test('start, serve, share, events, shutdown', async (t) => {
  const b1 = env.bundle(testSpec(['true']));
  const b2 = env.bundle(testSpec(['true']));
  const b3 = env.bundle(
    testSpec(['true'], (s) => (s.annotations = { 'io.kubernetes.cri.sandbox-id': `sb-${process.pid}` })),
  );
  // containerd opens the bundle's `log` fifo for reading before it runs start.
  spawnSync('mkfifo', [path.join(b1, 'log')]);
  const logFd = fs.openSync(path.join(b1, 'log'), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  t.teardown(() => fs.closeSync(logFd));

  const s1 = start('c1', b1);
  t.equal(s1.code, 0, s1.stderr);
  t.match(s1.address, /^unix:\/\/\/run\/containerd\/s\/[0-9a-f]{64}$/, 'the address, no newline');
  t.equal(fs.readFileSync(path.join(b1, 'address'), 'utf8'), s1.address, 'and in the bundle');
  const one = await connect(s1.address);
  t.teardown(() => one.client.close());
  t.not(one.shimPid, 0);
  t.ok(pidAlive(one.shimPid), 'a serving shim outlives start');
  // (the test service's Connect says its own pid:) the serving shim runs under carton-keeper,
  // which start spawned in a session of its own (src/shim/keeper.ts).
  const [, ppid, , sid] = fs.readFileSync(`/proc/${one.shimPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  t.match(fs.readFileSync(`/proc/${ppid}/cmdline`, 'utf8'), /^[^\0]*carton-keeper\0/, 'under the keeper');
  t.equal(sid, ppid, "in the keeper's own session");
  t.equal(fs.statSync(s1.address.slice(7)).mode & 0o777, 0o600);

  const created = await call(one.client, 'Create', { id: 'c1', bundle: b1 }, 'CreateTaskRequest', 'CreateTaskResponse');
  t.equal(created.pid, one.shimPid);
  await t.rejects(call(one.client, 'Checkpoint', { id: 'c1' }, 'CheckpointTaskRequest', EMPTY), {
    code: Code.UNIMPLEMENTED,
  });

  // A second plain container of the namespace: the same shim.
  const s2 = start('c2', b2);
  t.equal(s2.code, 0, s2.stderr);
  t.equal(s2.address, s1.address, 'one shim per namespace');
  t.equal(fs.readFileSync(path.join(b2, 'address'), 'utf8'), s1.address);
  const two = await connect(s2.address);
  t.teardown(() => two.client.close());
  t.equal(two.shimPid, one.shimPid);
  await call(two.client, 'Create', { id: 'c2', bundle: b2 }, 'CreateTaskRequest', 'CreateTaskResponse');

  // A CRI sandbox's container: by default on the namespace's shim (one Node
  // for every pod); with CARTON_SHIM_GROUP=pod, a shim of its own.
  const joined = start('c4', b3);
  t.equal(joined.code, 0, joined.stderr);
  t.equal(joined.address, s1.address, "by default a pod joins the namespace's shim");
  // (Created and deleted, so that start's Hold does not keep the shim past its last task below.)
  await call(one.client, 'Create', { id: 'c4', bundle: b3 }, 'CreateTaskRequest', 'CreateTaskResponse');
  await call(one.client, 'Delete', { id: 'c4' }, 'DeleteRequest', 'DeleteResponse');
  const s3 = start('c3', b3, 0, { CARTON_SHIM_GROUP: 'pod' });
  t.equal(s3.code, 0, s3.stderr);
  t.not(s3.address, s1.address, 'CARTON_SHIM_GROUP=pod: a pod gets its own shim');
  const three = await connect(s3.address);
  t.not(three.shimPid, one.shimPid);

  // Events reached "containerd" over ttrpc.
  for (let i = 0; i < 100 && !events.some((e) => e.topic === '/tasks/create'); i++) await sleep(20);
  const ev = events.find((e) => e.topic === '/tasks/create')!;
  t.ok(ev, 'TaskCreate forwarded');
  t.equal(ev.namespace, ns);
  t.equal(ev.event.typeUrl, 'containerd.events.TaskCreate');
  t.match(decode('containerd.events.TaskCreate', ev.event.value), { containerId: 'c1', bundle: b1 });

  // The shim logged into the bundle's log fifo.
  const buf = Buffer.alloc(65536);
  let logged = '';
  for (let i = 0; i < 100 && !logged.includes('serving'); i++) {
    try {
      logged += buf.subarray(0, fs.readSync(logFd, buf)).toString();
    } catch {
      await sleep(20);
    }
  }
  t.match(logged, /level=info msg="serving containerd.task.v2.Task for namespace shimtr-/);

  // Shutdown with no tasks: the pod's shim exits and frees its address.
  await call(three.client, 'Shutdown', { id: 'c3' }, 'ShutdownRequest', EMPTY).catch(() => undefined);
  t.ok(await gone(three.shimPid), 'the pod shim exited');
  t.notOk(fs.existsSync(s3.address.slice(7)), 'its socket is gone');
  three.client.close();

  // Shutdown with a task left keeps the shared shim; the last one ends it.
  await call(one.client, 'Delete', { id: 'c1' }, 'DeleteRequest', 'DeleteResponse');
  await call(one.client, 'Shutdown', { id: 'c1' }, 'ShutdownRequest', EMPTY).catch(() => undefined);
  t.match(
    await call(two.client, 'State', { id: 'c2' }, 'StateRequest', 'StateResponse'),
    { id: 'c2', bundle: b2 },
    'still serving c2',
  );
  await call(two.client, 'Delete', { id: 'c2' }, 'DeleteRequest', 'DeleteResponse');
  await call(two.client, 'Shutdown', { id: 'c2' }, 'ShutdownRequest', EMPTY).catch(() => undefined);
  t.ok(await gone(one.shimPid), 'the shared shim exited after its last task');
  t.notOk(fs.existsSync(s1.address.slice(7)));

  // A dead shim's socket file (nobody listening) is replaced by a new shim.
  const sock = s1.address.slice(7);
  const py = spawnSync('python3', [
    '-c',
    `import socket; s = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(sock)})`,
  ]);
  t.equal(py.status, 0);
  t.ok(fs.existsSync(sock));
  const s4 = start('c4', b2);
  t.equal(s4.code, 0, s4.stderr);
  t.equal(s4.address, s1.address);
  const four = await connect(s4.address);
  t.not(four.shimPid, one.shimPid);
  await call(four.client, 'Shutdown', { id: 'c4' }, 'ShutdownRequest', EMPTY).catch(() => undefined);
  t.ok(await gone(four.shimPid));
  four.client.close();
});

t.test('linger: an idle shim serves the next container, then exits', async (t) => {
  const b1 = env.bundle(testSpec(['true']));
  const b2 = env.bundle(testSpec(['true']));
  // A long linger: the shim must still be there for the second container.
  const s1 = start('l1', b1, 600_000);
  t.equal(s1.code, 0, s1.stderr);
  const one = await connect(s1.address);
  await call(one.client, 'Create', { id: 'l1', bundle: b1 }, 'CreateTaskRequest', 'CreateTaskResponse');
  await call(one.client, 'Delete', { id: 'l1' }, 'DeleteRequest', 'DeleteResponse');
  await call(one.client, 'Shutdown', { id: 'l1' }, 'ShutdownRequest', EMPTY);
  one.client.close();
  t.ok(pidAlive(one.shimPid), 'Shutdown of the last task: the shim lingers');
  await t.rejects(
    TtrpcClient.connect(s1.address).then((c) => call(c, 'State', { id: 'l1' }, 'StateRequest', 'StateResponse')),
    { code: Code.NOT_FOUND },
    'with a fresh service',
  );

  const s2 = start('l2', b2);
  t.equal(s2.address, s1.address, 'start reuses the lingering shim');
  const two = await connect(s2.address);
  t.equal(two.shimPid, one.shimPid);
  await call(two.client, 'Create', { id: 'l2', bundle: b2 }, 'CreateTaskRequest', 'CreateTaskResponse');
  t.match(await call(two.client, 'State', { id: 'l2' }, 'StateRequest', 'StateResponse'), { id: 'l2', bundle: b2 });
  two.client.close();
  // SIGTERM ends it as any shim.
  process.kill(one.shimPid, 'SIGTERM');
  t.ok(await gone(one.shimPid), 'SIGTERM: gone');
  t.notOk(fs.existsSync(s1.address.slice(7)), 'socket removed');

  // A short linger: once idle, it goes by itself.
  const b3 = env.bundle(testSpec(['true']));
  const s3 = start('l3', b3, 200);
  const three = await connect(s3.address);
  await call(three.client, 'Shutdown', { id: 'l3' }, 'ShutdownRequest', EMPTY);
  three.client.close();
  t.ok(await gone(three.shimPid), 'an idle shim exits after its linger');
  t.notOk(fs.existsSync(s3.address.slice(7)));
});

t.test('delete: force-deletes the carton container, prints the DeleteResponse', async (t) => {
  const root = path.join(STATE_ROOT, ns);
  const { id, bundle: b, pid } = env.createSleeper(root, 'shimdel');
  t.ok(pidAlive(pid));

  const r = shim(
    ['-namespace', ns, '-address', caddr, '-publish-binary', '/bin/false', '-id', id, '-bundle', b, 'delete'],
    b,
  );
  t.equal(r.code, 0, r.stderr);
  const resp = decode('containerd.task.v2.DeleteResponse', r.stdout);
  t.equal(resp.exitStatus, 137);
  t.equal(resp.pid, pid);
  t.ok(resp.exitedAt.seconds > 1_600_000_000);
  t.ok(await gone(pid), 'the container init is gone');
  t.notOk(fs.existsSync(path.join(root, id)), 'and its state');

  const none = shim(['-namespace', ns, '-address', caddr, '-id', 'never-was', '-bundle', b, 'delete'], b);
  t.equal(none.code, 0, none.stderr);
  t.match(decode('containerd.task.v2.DeleteResponse', none.stdout), { pid: 0, exitStatus: 137 });
});
