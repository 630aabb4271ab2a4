// The event publisher against a real ttrpc server standing in for
// containerd's Events service, and against a stand-in publish binary.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import t from 'tap';
import { ShimPublisher } from '../../src/shim/publisher';
import { decode } from '../../src/shim/ttrpc/proto';
import { TtrpcServer } from '../../src/shim/ttrpc/server';
import { registerTyped } from '../../src/shim/ttrpc/typed';
import { Code, ShimError } from '../../src/shim/types';

const EVENTS = 'containerd.services.events.ttrpc.v1.Events';

async function eventsServer(sock: string, seen: Array<Record<string, any>>, failFirst = 0): Promise<TtrpcServer> {
  const s = new TtrpcServer();
  let fails = failFirst;
  registerTyped(s, EVENTS, {
    async Forward(req) {
      if (fails > 0) {
        fails--;
        throw new ShimError(Code.UNAVAILABLE, 'not now');
      }
      seen.push(req.envelope);
      return {};
    },
  });
  await s.listen({ path: sock });
  return s;
}

t.test('events arrive in order, enveloped as containerd expects', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carton-pub-'));
  const sock = path.join(dir, 'containerd.sock.ttrpc');
  const seen: Array<Record<string, any>> = [];
  const server = await eventsServer(sock, seen, 2);
  const pub = new ShimPublisher({
    namespace: 'ns1',
    ttrpcAddress: sock,
    publishBinary: '/nonexistent',
    address: '',
    retryDelayMs: () => 10,
  });
  t.teardown(async () => {
    await pub.close();
    await server.close(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  pub.publish('/tasks/create', 'containerd.events.TaskCreate', { containerId: 'c1', bundle: '/b', pid: 10 });
  pub.publish('/tasks/start', 'containerd.events.TaskStart', { containerId: 'c1', pid: 10 });
  pub.publish('/tasks/exit', 'containerd.events.TaskExit', {
    containerId: 'c1',
    id: 'c1',
    pid: 10,
    exitStatus: 3,
    exitedAt: { seconds: 5, nanos: 6 },
  });
  await pub.flush();
  t.same(
    seen.map((e) => e.topic),
    ['/tasks/create', '/tasks/start', '/tasks/exit'],
    'in order, though the first two sends failed',
  );
  t.ok(seen.every((e) => e.namespace === 'ns1'));
  t.ok(
    seen.every((e) => e.timestamp.seconds > 1_600_000_000),
    'timestamped now',
  );
  t.equal(seen[2]?.event.typeUrl, 'containerd.events.TaskExit');
  t.match(decode('containerd.events.TaskExit', seen[2]?.event.value), {
    containerId: 'c1',
    pid: 10,
    exitStatus: 3,
    exitedAt: { seconds: 5, nanos: 6 },
  });

  // containerd restarts: the connection drops, a new server comes up on the same socket.
  await server.close(true);
  fs.rmSync(sock, { force: true });
  pub.publish('/tasks/oom', 'containerd.events.TaskOOM', { containerId: 'c1' });
  await new Promise((r) => setTimeout(r, 30));
  const seen2: Array<Record<string, any>> = [];
  const server2 = await eventsServer(sock, seen2);
  t.teardown(() => server2.close(true));
  await pub.flush();
  t.same(
    seen2.map((e) => e.topic),
    ['/tasks/oom'],
    'delivered after reconnecting',
  );
});

t.test('an event that never gets through is dropped after retries, later ones still go', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carton-pub-'));
  const sock = path.join(dir, 'ttrpc');
  const seen: Array<Record<string, any>> = [];
  const server = await eventsServer(sock, seen, 6);
  const logs: string[] = [];
  const pub = new ShimPublisher({
    namespace: 'n',
    ttrpcAddress: sock,
    publishBinary: '',
    address: '',
    retryDelayMs: () => 1,
    log: (l) => logs.push(l),
  });
  t.teardown(async () => {
    await pub.close();
    await server.close(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  pub.publish('/tasks/paused', 'containerd.events.TaskPaused', { containerId: 'a' });
  pub.publish('/tasks/resumed', 'containerd.events.TaskResumed', { containerId: 'a' });
  await pub.flush();
  t.same(
    seen.map((e) => e.topic),
    ['/tasks/resumed'],
  );
  t.match(logs[0], /dropping \/tasks\/paused after 6 attempts: not now/);
});

t.test('without TTRPC_ADDRESS, the publish binary gets topic, namespace and the Any on stdin', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carton-pub-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bin = path.join(dir, 'containerd');
  fs.writeFileSync(
    bin,
    `#!/bin/sh\nn=$(ls ${dir} | grep -c '^call')\necho "$@" > ${dir}/call$n.args\ncat > ${dir}/call$n.any\n`,
    { mode: 0o755 },
  );
  const pub = new ShimPublisher({ namespace: 'k8s.io', ttrpcAddress: '', publishBinary: bin, address: '/run/c.sock' });
  pub.publish('/tasks/delete', 'containerd.events.TaskDelete', { containerId: 'c9', pid: 4, exitStatus: 137 });
  await pub.close();
  t.equal(
    fs.readFileSync(path.join(dir, 'call0.args'), 'utf8').trim(),
    '--address /run/c.sock publish --topic /tasks/delete --namespace k8s.io',
  );
  const any = decode('google.protobuf.Any', fs.readFileSync(path.join(dir, 'call0.any')));
  t.equal(any.typeUrl, 'containerd.events.TaskDelete');
  t.match(decode('containerd.events.TaskDelete', any.value), { containerId: 'c9', pid: 4, exitStatus: 137 });
});
