// The systemd driver's pure parts: cgroupsPath "slice:prefix:name" to a
// scope and its path (runc's rules), the unit properties from
// linux.resources, and the D-Bus marshalling checked byte for byte against
// the specification's alignment rules.
import t from 'tap';
import type { CgroupLayout } from '../../src/cgroups/mounts';
import { expandSlice, resourceProperties, scopeProperties, unitFor } from '../../src/cgroups/systemd/unit';
import {
  decodeMessage,
  encodeMessage,
  Field,
  messageSize,
  MsgType,
  Reader,
  splitSig,
  Writer,
} from '../../src/cgroups/systemd/wire';

t.test('slices expand as systemd nests them', async (t) => {
  t.equal(expandSlice('system.slice'), '/system.slice');
  t.equal(
    expandSlice('kubepods-besteffort-pod1.slice'),
    '/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice',
  );
  t.equal(expandSlice('-.slice'), '/');
  for (const bad of ['system', 'a--b.slice', '-a.slice', 'a-.slice', 'a/b.slice', '.slice']) {
    t.throws(() => expandSlice(bad), { message: `linux.cgroupsPath: invalid systemd slice name "${bad}"` }, bad);
  }
});

t.test('cgroupsPath "slice:prefix:name" to a scope', async (t) => {
  t.same(unitFor(undefined, 'c1'), {
    slice: 'system.slice',
    name: 'carton-c1.scope',
    path: '/system.slice/carton-c1.scope',
  });
  t.same(unitFor('kubepods-besteffort.slice:cri-containerd:abc', 'x'), {
    slice: 'kubepods-besteffort.slice',
    name: 'cri-containerd-abc.scope',
    path: '/kubepods.slice/kubepods-besteffort.slice/cri-containerd-abc.scope',
  });
  t.same(unitFor('machine.slice:libpod:ff', 'x').path, '/machine.slice/libpod-ff.scope');
  t.same(unitFor('::bare', 'x').name, 'bare.scope');
  t.same(unitFor('-.slice:p:n', 'x').path, '/p-n.scope');
  t.throws(() => unitFor('/carton/c1', 'c1'), {
    message: 'linux.cgroupsPath: expected "slice:prefix:name" for the systemd cgroup driver, got "/carton/c1"',
  });
  t.throws(() => unitFor('system.slice:p:', 'c1'), /the unit name is empty/);
  t.throws(() => unitFor('system.slice:p:x.slice', 'c1'), /a slice as the container's own unit is not supported/);
  t.throws(() => unitFor('system.slice:p:a/b', 'c1'), /invalid character/);
});

const hybrid = { mode: 'hybrid', v1: [], unified: undefined } as unknown as CgroupLayout;
const v2 = { mode: 'v2', v1: [], unified: undefined } as unknown as CgroupLayout;
const props = (p: Array<[string, { sig: string; value: unknown }]>) =>
  Object.fromEntries(p.map(([k, v]) => [k, `${v.sig}:${String(v.value)}`]));

t.test('unit properties mirror linux.resources, with v1 or v2 names', async (t) => {
  const r = {
    memory: { limit: 64 << 20, swap: 96 << 20, reservation: 1 << 20 },
    cpu: { shares: 512, quota: 25_000, period: 100_000 },
    pids: { limit: 20 },
    blockIO: { weight: 300 },
  };
  t.same(props(resourceProperties(r, hybrid)), {
    MemoryLimit: `t:${64 << 20}`,
    CPUShares: 't:512',
    CPUQuotaPerSecUSec: 't:250000',
    TasksMax: 't:20',
    BlockIOWeight: 't:300',
  });
  const p2 = props(resourceProperties(r, v2));
  t.equal(p2.MemoryMax, `t:${64 << 20}`);
  t.equal(p2.MemorySwapMax, `t:${32 << 20}`, 'v2 swap excludes memory');
  t.equal(p2.MemoryLow, `t:${1 << 20}`);
  t.equal(p2.CPUWeight, 't:20', 'shares 512 -> weight 20, as runc converts');
  t.equal(p2.IOWeight, 't:2930', 'blkio weight 300 -> io.weight 2930, as runc converts');
  t.equal(
    props(resourceProperties({ cpu: { quota: 33_333, period: 100_000 } }, hybrid)).CPUQuotaPerSecUSec,
    't:340000',
    'rounded up to 10 ms',
  );
  t.equal(
    props(resourceProperties({ pids: { limit: -1 }, memory: { limit: -1 } }, hybrid)).TasksMax,
    't:18446744073709551615',
    'unlimited is infinity',
  );
  const all = props(scopeProperties(unitFor(undefined, 'c9'), 4242, {}, hybrid));
  t.match(all, {
    Slice: 's:system.slice',
    PIDs: 'au:4242',
    Delegate: 'b:true',
    DefaultDependencies: 'b:false',
    BlockIOAccounting: 'b:true',
  });
});

t.test('D-Bus marshalling: alignment and lengths as the specification has them', async (t) => {
  const w = new Writer();
  w.write('a(sv)', [['x', { sig: 'b', value: true }]]);
  // array length 16 | pad to 8 | "x": len 1, 'x', NUL | variant sig "b" | pad | true
  t.same([...w.bytes()], [16, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x78, 0, 1, 0x62, 0, 0, 0, 0, 1, 0, 0, 0]);
  const e = new Writer();
  e.write('y', 7);
  e.write('a(sv)', []);
  t.same([...e.bytes()], [7, 0, 0, 0, 0, 0, 0, 0], 'an empty array still pads to its element alignment');
  t.same(splitSig('ssa(sv)a(sa(sv))'), ['s', 's', 'a(sv)', 'a(sa(sv))']);
  t.throws(() => splitSig('a(s'), /bad signature/);

  const body = [
    'carton-c1.scope',
    'replace',
    [
      ['PIDs', { sig: 'au', value: [1, 2] }],
      ['MemoryLimit', { sig: 't', value: 1n << 40n }],
    ],
    [],
  ];
  const msg = encodeMessage({
    type: MsgType.METHOD_CALL,
    serial: 7,
    fields: { [Field.PATH]: '/org/freedesktop/systemd1', [Field.MEMBER]: 'StartTransientUnit' },
    sig: 'ssa(sv)a(sa(sv))',
    body,
  });
  t.equal(msg[0], 0x6c, 'little-endian');
  t.equal(msg[1], MsgType.METHOD_CALL);
  t.equal(msg[3], 1, 'protocol version 1');
  t.equal(messageSize(msg), msg.length);
  t.equal(messageSize(msg.subarray(0, 15)), 0, 'not enough for the fixed header');
  const back = decodeMessage(msg);
  t.equal(back.serial, 7);
  t.equal(back.fields[Field.MEMBER], 'StartTransientUnit');
  t.equal(back.fields[Field.SIGNATURE], 'ssa(sv)a(sa(sv))');
  t.same(back.body, [
    'carton-c1.scope',
    'replace',
    [
      ['PIDs', { sig: 'au', value: [1, 2] }],
      ['MemoryLimit', { sig: 't', value: 1n << 40n }],
    ],
    [],
  ]);
  t.throws(() => new Reader(Buffer.from([5, 0, 0, 0, 0x61])).read('s'), /truncated/);

  const all = new Writer();
  all.write('(nqdv)', [-2, 65535, 0.5, { sig: 'ah', value: [3] }]);
  t.same(
    new Reader(all.bytes()).read('(nqdv)'),
    [-2, 65535, 0.5, { sig: 'ah', value: [3] }],
    'every basic type systemd may put in a PropertiesChanged',
  );
});

t.test('a message body is decoded only when read', async (t) => {
  // A signal whose body does not parse (a truncated string): its header still does.
  const good = encodeMessage({
    type: MsgType.SIGNAL,
    serial: 3,
    fields: { [Field.MEMBER]: 'PropertiesChanged' },
    sig: 's',
    body: ['abcdef'],
  });
  const bad = Buffer.from(good);
  const bodyAt = bad.length - 11; // u32 length + "abcdef" + NUL
  bad.writeUInt32LE(1000, bodyAt);
  const m = decodeMessage(bad);
  t.equal(m.fields[Field.MEMBER], 'PropertiesChanged');
  t.throws(() => m.body, /truncated/);
  t.same(decodeMessage(good).body, ['abcdef']);
});
