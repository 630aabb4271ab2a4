// ttrpc transport: framing edge cases, and a server <-> client round trip
// over a real unix socket with containerd's generated types.
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import t from 'tap';
import { encodeFrame, FrameReader, HEADER, MAX_MESSAGE, REQUEST, RESPONSE } from '../../src/shim/ttrpc/frame';
import { TtrpcClient } from '../../src/shim/ttrpc/client';
import { decode, encode } from '../../src/shim/ttrpc/proto';
import { TtrpcServer } from '../../src/shim/ttrpc/server';
import { registerTyped } from '../../src/shim/ttrpc/typed';
import { Code, ShimError } from '../../src/shim/types';

const TASK = 'containerd.task.v2.Task';

t.test('framing', async (t) => {
  t.test('header layout is length, stream, type, flags (big endian)', async (t) => {
    const f = encodeFrame(0x01020304, REQUEST, Buffer.from('abc'), 7);
    t.same([...f.subarray(0, HEADER)], [0, 0, 0, 3, 1, 2, 3, 4, 1, 7]);
    t.equal(f.subarray(HEADER).toString(), 'abc');
  });

  t.test('a frame split into single bytes comes out once, whole', async (t) => {
    const f = encodeFrame(5, RESPONSE, Buffer.from('hello world'));
    const r = new FrameReader();
    const got = [];
    for (const b of f) got.push(...r.push(Buffer.from([b])));
    t.equal(got.length, 1);
    t.equal(got[0]?.stream, 5);
    t.equal(got[0]?.type, RESPONSE);
    t.equal(got[0]?.payload.toString(), 'hello world');
  });

  t.test('coalesced frames, an empty payload, and a split in the middle of a header', async (t) => {
    const all = Buffer.concat([
      encodeFrame(1, REQUEST, Buffer.from('one')),
      encodeFrame(3, REQUEST, Buffer.alloc(0)),
      encodeFrame(5, REQUEST, Buffer.from('three')),
    ]);
    const r = new FrameReader();
    const cut = all.length - 12; // inside the third header
    const a = r.push(all.subarray(0, cut));
    t.same(
      a.map((f) => [f.stream, f.payload.toString()]),
      [
        [1, 'one'],
        [3, ''],
      ],
    );
    const b = r.push(all.subarray(cut));
    t.same(
      b.map((f) => [f.stream, f.payload.toString()]),
      [[5, 'three']],
    );
  });

  t.test('exactly the maximum is accepted', async (t) => {
    const big = Buffer.alloc(MAX_MESSAGE, 1);
    const r = new FrameReader();
    const f = r.push(encodeFrame(9, REQUEST, big));
    t.equal(f.length, 1);
    t.equal(f[0]?.payload.length, MAX_MESSAGE);
    t.equal(f[0]?.oversize, undefined);
  });

  t.test('an oversize frame is refused on send', async (t) => {
    t.throws(() => encodeFrame(1, REQUEST, Buffer.alloc(MAX_MESSAGE + 1)), {
      name: 'FrameTooLarge',
      length: MAX_MESSAGE + 1,
    });
  });

  t.test('an oversize frame received is skipped, flagged, and the next frame still parses', async (t) => {
    const n = MAX_MESSAGE + 10;
    const head = Buffer.alloc(HEADER);
    head.writeUInt32BE(n, 0);
    head.writeUInt32BE(7, 4);
    head.writeUInt8(REQUEST, 8);
    const r = new FrameReader();
    const out = [
      ...r.push(head),
      ...r.push(Buffer.alloc(n - 100)),
      ...r.push(Buffer.concat([Buffer.alloc(100), encodeFrame(9, REQUEST, Buffer.from('after'))])),
    ];
    t.equal(out.length, 2);
    t.equal(out[0]?.stream, 7);
    t.equal(out[0]?.oversize, n);
    t.equal(out[0]?.payload.length, 0);
    t.equal(out[1]?.stream, 9);
    t.equal(out[1]?.payload.toString(), 'after');
  });
});

t.test('server <-> client round trip through containerd.task.v2.Task', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carton-ttrpc-'));
  const sock = path.join(dir, 's');
  const server = new TtrpcServer();
  let seenOptions: Record<string, any> | undefined;
  let seenResources: Record<string, any> | undefined;
  let release: () => void = () => {};
  const slow = new Promise<void>((r) => (release = r));
  // A test-only service: enough methods to exercise types, errors, Any and concurrency.
  registerTyped(server, TASK, {
    async State(req) {
      if (req.id === 'missing') throw new ShimError(Code.NOT_FOUND, `container ${String(req.id)}: not found`);
      return {
        id: req.id,
        bundle: '/b',
        pid: 42,
        status: 2,
        exitStatus: 0,
        exitedAt: { seconds: 1700000000, nanos: 5 },
        execId: req.execId,
      };
    },
    async Create(req) {
      seenOptions = req.options;
      return { pid: req.rootfs.length * 100 + (req.terminal ? 1 : 0) };
    },
    async Update(req) {
      seenResources = req.resources;
      return {};
    },
    async Stats() {
      return {
        stats: {
          typeUrl: 'io.containerd.cgroups.v1.Metrics',
          object: { pids: { current: 3, limit: 10 }, memory: { usage: { usage: 4096 } } },
        },
      };
    },
    async Wait() {
      await slow;
      return { exitStatus: 137, exitedAt: { seconds: 1, nanos: 0 } };
    },
    async Pids() {
      throw new Error('boom\nsecond line');
    },
  });
  await server.listen({ path: sock });
  const client = await TtrpcClient.connect(`unix://${sock}`);
  t.teardown(async () => {
    client.close();
    await server.close(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const state = await client.call(
    TASK,
    'State',
    'containerd.task.v2.StateRequest',
    'containerd.task.v2.StateResponse',
    { id: 'c1', execId: 'e1' },
  );
  t.match(state, {
    id: 'c1',
    bundle: '/b',
    pid: 42,
    status: 2,
    execId: 'e1',
    exitedAt: { seconds: 1700000000, nanos: 5 },
  });

  const created = await client.call(
    TASK,
    'Create',
    'containerd.task.v2.CreateTaskRequest',
    'containerd.task.v2.CreateTaskResponse',
    {
      id: 'c1',
      bundle: '/b',
      terminal: true,
      rootfs: [
        { type: 'overlay', source: 'overlay', options: ['lowerdir=/l'] },
        { type: 'bind', source: '/x' },
      ],
      options: {
        typeUrl: 'containerd.runc.v1.Options',
        value: encode('containerd.runc.v1.Options', { binaryName: 'carton' }),
      },
    },
  );
  t.equal(created.pid, 201, 'the service saw both mounts and terminal');
  t.equal(seenOptions?.typeUrl, 'containerd.runc.v1.Options');
  t.match(seenOptions?.object, { binaryName: 'carton' }, 'an Any of a type we have arrives decoded as well');
  t.ok(Buffer.isBuffer(seenOptions?.value), 'its bytes stay');

  const json = Buffer.from(JSON.stringify({ memory: { limit: 1 << 20 } }));
  await client.call(TASK, 'Update', 'containerd.task.v2.UpdateTaskRequest', 'google.protobuf.Empty', {
    id: 'c1',
    resources: { typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources', value: json },
  });
  t.same(
    seenResources,
    { typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources', value: json },
    'runtime-spec JSON stays bytes only',
  );

  const stats = await client.call(
    TASK,
    'Stats',
    'containerd.task.v2.StatsRequest',
    'containerd.task.v2.StatsResponse',
    { id: 'c1' },
  );
  t.equal(stats.stats.typeUrl, 'io.containerd.cgroups.v1.Metrics');
  t.match(
    decode('io.containerd.cgroups.v1.Metrics', stats.stats.value),
    { pids: { current: 3, limit: 10 }, memory: { usage: { usage: 4096 } } },
    'Any.object was encoded with the type its URL names',
  );

  await t.rejects(
    client.call(TASK, 'State', 'containerd.task.v2.StateRequest', 'containerd.task.v2.StateResponse', {
      id: 'missing',
    }),
    { code: Code.NOT_FOUND, message: 'container missing: not found' },
  );
  await t.rejects(
    client.callRaw(TASK, 'Pids', Buffer.alloc(0)),
    { code: Code.UNKNOWN, message: 'boom' },
    'a plain error is UNKNOWN, one line',
  );
  await t.rejects(
    client.callRaw(TASK, 'Checkpoint', Buffer.alloc(0)),
    { code: Code.UNIMPLEMENTED },
    'a method the service lacks',
  );
  await t.rejects(
    client.callRaw('no.such.Service', 'X', Buffer.alloc(0)),
    { code: Code.UNIMPLEMENTED },
    'an unknown service',
  );

  // Concurrent streams: a blocked Wait does not hold up State on the same connection.
  const wait = client.call(TASK, 'Wait', 'containerd.task.v2.WaitRequest', 'containerd.task.v2.WaitResponse', {
    id: 'c1',
  });
  let waited = false;
  void wait.then(() => (waited = true));
  const again = await client.call(
    TASK,
    'State',
    'containerd.task.v2.StateRequest',
    'containerd.task.v2.StateResponse',
    { id: 'c2' },
  );
  t.equal(again.id, 'c2');
  t.equal(waited, false, 'Wait is still pending while State was answered');
  release();
  t.match(await wait, { exitStatus: 137 });

  // An oversize request gets RESOURCE_EXHAUSTED on its stream; the connection stays usable.
  const raw = net.createConnection({ path: sock });
  await new Promise((r) => raw.once('connect', r));
  const reader = new FrameReader();
  const replies: Array<Record<string, any>> = [];
  const gotTwo = new Promise<void>((resolve) =>
    raw.on('data', (c) => {
      for (const f of reader.push(c)) replies.push({ stream: f.stream, ...decode('ttrpc.Response', f.payload) });
      if (replies.length >= 2) resolve();
    }),
  );
  const head = Buffer.alloc(HEADER);
  head.writeUInt32BE(MAX_MESSAGE + 1, 0);
  head.writeUInt32BE(1, 4);
  head.writeUInt8(REQUEST, 8);
  raw.write(head);
  raw.write(Buffer.alloc(MAX_MESSAGE + 1));
  raw.write(
    encodeFrame(
      3,
      REQUEST,
      encode('ttrpc.Request', {
        service: TASK,
        method: 'State',
        payload: encode('containerd.task.v2.StateRequest', { id: 'c3' }),
      }),
    ),
  );
  await gotTwo;
  raw.destroy();
  t.equal(replies[0]?.stream, 1);
  t.equal(replies[0]?.status.code, 8);
  t.equal(replies[1]?.stream, 3);
  t.equal(replies[1]?.status.code, 0);
  t.equal(decode('containerd.task.v2.StateResponse', replies[1]?.payload).id, 'c3');
});
