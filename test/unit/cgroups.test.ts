// The cgroup drivers' pure parts: every linux.resources field to its v1 and
// v2 files, with runc's conversions and write orders.
import t from 'tap';
import type { Reader } from '../../src/cgroups/driver';
import { checkSupported } from '../../src/cgroups/manager';
import { parseMountinfo } from '../../src/cgroups/mounts';
import type { Resources, Write } from '../../src/cgroups/types';
import * as v1 from '../../src/cgroups/v1';
import * as v2 from '../../src/cgroups/v2';

const none: Reader = () => undefined;
const files =
  (m: Record<string, string>): Reader =>
  (f) =>
    m[f];
const pairs = (w: Write[]) => w.map((x) => [x.file, x.value]);
/** A controller the test needs: a missing one fails the test file at once. */
function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`no ${what}`);
  return v;
}
const c1 = (name: string) =>
  must(
    v1.controllers().find((c) => c.name === name),
    `v1 ${name}`,
  );
const c2 = (name: string) => must(v2.byV1Name[name], `v2 counterpart of ${name}`);

t.test("v1 memory: files, runc's memory/memsw order, swappiness range", async (t) => {
  const mem = c1('memory');
  const r: Resources = {
    memory: { limit: 100, swap: 200, reservation: 50, kernelTCP: 10, swappiness: 30, disableOOMKiller: true },
  };
  t.same(
    pairs(mem.writes(r, files({ 'memory.limit_in_bytes': '9223372036854771712' }))),
    [
      ['memory.limit_in_bytes', '100'],
      ['memory.memsw.limit_in_bytes', '200'],
      ['memory.soft_limit_in_bytes', '50'],
      ['memory.kmem.tcp.limit_in_bytes', '10'],
      ['memory.swappiness', '30'],
      ['memory.oom_control', '1'],
    ],
    'shrinking: memory first, then memsw',
  );
  t.same(
    pairs(mem.writes({ memory: { limit: 300, swap: 400 } }, files({ 'memory.limit_in_bytes': '100' }))).map(
      (p) => p[0],
    ),
    ['memory.memsw.limit_in_bytes', 'memory.limit_in_bytes'],
    'growing: memsw first',
  );
  const unl = mem.writes({ memory: { limit: -1 } }, none);
  t.same(
    pairs(unl),
    [
      ['memory.memsw.limit_in_bytes', '-1'],
      ['memory.limit_in_bytes', '-1'],
    ],
    'unlimited memory makes memsw unlimited',
  );
  t.ok(unl[0]?.optional, '... unless the kernel has no swap accounting');
  t.throws(() => mem.writes({ memory: { swappiness: 101 } }, none), /swappiness: invalid value:101/);
  t.same(mem.fields({ memory: { checkBeforeUpdate: true } }), [], 'checkBeforeUpdate alone needs no controller');
});

t.test('v2 memory: swap conversion and checkBeforeUpdate', async (t) => {
  const mem = c2('memory');
  t.same(pairs(mem.writes({ memory: { limit: 100, swap: 300, reservation: 10 } }, none)), [
    ['memory.swap.max', '200'],
    ['memory.max', '100'],
    ['memory.low', '10'],
  ]);
  t.same(pairs(mem.writes({ memory: { limit: -1 } }, none)), [
    ['memory.swap.max', 'max'],
    ['memory.max', 'max'],
  ]);
  t.equal(v2.swapV2(0, 100), 0);
  t.throws(() => v2.swapV2(50, 100), /memory\+swap limit should be >= memory limit/);
  t.throws(() => v2.swapV2(50, 0), /unable to set swap limit without memory limit/);
  t.throws(
    () => mem.writes({ memory: { limit: 100, checkBeforeUpdate: true } }, files({ 'memory.current': '4096' })),
    /rejecting memory limit 100 below current usage 4096/,
  );
  t.same(pairs(mem.writes({ memory: { limit: 100, checkBeforeUpdate: true } }, files({ 'memory.current': '50' }))), [
    ['memory.max', '100'],
  ]);
  t.throws(() => mem.writes({ memory: { kernel: 1 } }, none), /memory\.kernel: not supported by the cgroup v2/);
  t.throws(() => mem.writes({ memory: { disableOOMKiller: true } }, none), /disableOOMKiller/);
});

t.test('cpu: v1 files and order; v2 weight, cpu.max, burst, idle', async (t) => {
  const r: Resources = {
    cpu: {
      shares: 1024,
      quota: 50000,
      period: 100000,
      burst: 1000,
      realtimePeriod: 1000000,
      realtimeRuntime: 950000,
      idle: 0,
    },
  };
  t.same(pairs(c1('cpu').writes(r, none)), [
    ['cpu.shares', '1024'],
    ['cpu.cfs_period_us', '100000'],
    ['cpu.cfs_quota_us', '50000'],
    ['cpu.cfs_period_us', '100000'],
    ['cpu.cfs_burst_us', '1000'],
    ['cpu.rt_period_us', '1000000'],
    ['cpu.rt_runtime_us', '950000'],
    ['cpu.idle', '0'],
  ]);
  const w = c1('cpu').writes({ cpu: { shares: 1 } }, none)[0];
  t.equal(w?.verify?.('2'), 'the minimum allowed cpu-shares is 2', 'a clamped shares value is reported as runc does');
  t.equal(v2.sharesToWeight(2), 1);
  t.equal(v2.sharesToWeight(1024), 39);
  t.equal(v2.sharesToWeight(262144), 10000);
  const { realtimePeriod: _p, realtimeRuntime: _r, ...noRt } = r.cpu!;
  t.same(pairs(c2('cpu').writes({ cpu: noRt }, none)), [
    ['cpu.idle', '0'],
    ['cpu.weight', '39'],
    ['cpu.max', '50000 100000'],
    ['cpu.max.burst', '1000'],
  ]);
  t.same(
    pairs(c2('cpu').writes({ cpu: { quota: -1 } }, none)),
    [['cpu.max', 'max']],
    'no period: only the quota, as runc writes it',
  );
  t.same(
    pairs(c2('cpu').writes({ cpu: { shares: 1024, idle: 1 } }, none)),
    [['cpu.idle', '1']],
    'an idle group has no weight',
  );
  t.throws(() => c2('cpu').writes(r, none), /realtimeRuntime: cgroup v2 has no realtime/);
  t.same(pairs(c1('cpuset').writes({ cpu: { cpus: '0-1', mems: '0' } }, none)), [
    ['cpuset.cpus', '0-1'],
    ['cpuset.mems', '0'],
  ]);
});

t.test('pids: -1 and 0 are max (runc 1.1.5; engines send 0 for unlimited)', async (t) => {
  t.same(pairs(c1('pids').writes({ pids: { limit: -1 } }, none)), [['pids.max', 'max']]);
  t.same(pairs(c1('pids').writes({ pids: { limit: 0 } }, none)), [['pids.max', 'max']]);
  t.same(pairs(c1('pids').writes({ pids: { limit: -7 } }, none)), [['pids.max', 'max']]);
  t.same(pairs(c1('pids').writes({ pids: { limit: 7 } }, none)), [['pids.max', '7']]);
});

t.test('blkio on v1 (CFQ or BFQ files) and io on v2', async (t) => {
  const r: Resources = {
    blockIO: {
      weight: 500,
      weightDevice: [{ major: 8, minor: 0, weight: 300 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
    },
  };
  t.same(pairs(c1('blkio').writes(r, files({ 'blkio.bfq.weight': '100' }))), [
    ['blkio.bfq.weight', '500'],
    ['blkio.bfq.weight_device', '8:0 300'],
    ['blkio.throttle.read_bps_device', '8:0 1048576'],
    ['blkio.throttle.write_iops_device', '8:0 100'],
  ]);
  t.equal(c1('blkio').writes({ blockIO: { weight: 10 } }, files({ 'blkio.weight': '500' }))[0]?.file, 'blkio.weight');
  t.same(pairs(c2('blkio').writes(r, none)), [
    ['io.weight', '4950'],
    ['io.weight', '8:0 2930'],
    ['io.max', '8:0 rbps=1048576'],
    ['io.max', '8:0 wiops=100'],
  ]);
  t.same(pairs(c2('blkio').writes({ blockIO: { weight: 500 } }, files({ 'io.bfq.weight': 'default 100' }))), [
    ['io.bfq.weight', '500'],
  ]);
  t.equal(v2.blkioToIOWeight(10), 1);
  t.equal(v2.blkioToIOWeight(1000), 10000);
  t.throws(() => c2('blkio').writes({ blockIO: { leafWeight: 10 } }, none), /leafWeight/);
});

t.test('hugetlb, network, rdma', async (t) => {
  const r: Resources = {
    hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
    network: { classID: 0x100001, priorities: [{ name: 'eth0', priority: 5 }] },
    rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, rxe3: { hcaObjects: 5 } },
  };
  t.same(pairs(c1('hugetlb').writes(r, none)), [
    ['hugetlb.2MB.limit_in_bytes', '4194304'],
    ['hugetlb.2MB.rsvd.limit_in_bytes', '4194304'],
  ]);
  t.same(pairs(c2('hugetlb').writes(r, none)), [
    ['hugetlb.2MB.max', '4194304'],
    ['hugetlb.2MB.rsvd.max', '4194304'],
  ]);
  t.same(pairs(c1('net_cls').writes(r, none)), [['net_cls.classid', '1048577']]);
  t.same(pairs(c1('net_prio').writes(r, none)), [['net_prio.ifpriomap', 'eth0 5']]);
  t.same(pairs(c1('rdma').writes(r, none)), [
    ['rdma.max', 'mlx5_1 hca_handle=3 hca_object=10000'],
    ['rdma.max', 'rxe3 hca_object=5'],
  ]);
});

t.test('devices on v1: config rules, then runc 1.1.5 defaults, nothing else', async (t) => {
  const w = v1.devicesWrites(v1.deviceRules({ devices: [{ allow: false, access: 'rwm' }] }), 1);
  t.same(w[0], { field: 'linux.resources.devices[0]', file: 'devices.deny', value: 'a *:* rwm' });
  t.same(
    w.slice(1).map((x) => x.value),
    [
      'c *:* m',
      'b *:* m',
      'c 1:3 rwm',
      'c 1:5 rwm',
      'c 1:7 rwm',
      'c 1:8 rwm',
      'c 1:9 rwm',
      'c 5:0 rwm',
      'c 5:2 rwm',
      'c 10:200 rwm',
      'c 136:* rwm',
    ],
  );
  t.ok(w.slice(1).every((x) => x.file === 'devices.allow' && x.field === 'default device rules'));
});

t.test('unified keys are validated against the mode and the controllers', async (t) => {
  const v1only = parseMountinfo('32 31 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n');
  t.throws(() => checkSupported({ unified: { 'memory.high': '1' } }, v1only), /cannot use unified on cgroup v1/);
  t.throws(() => v2.unifiedWrites({ '../x': '1' }, [], '/d'), /without "\/"/);
  t.throws(
    () => v2.unifiedWrites({ 'memory.high': '1' }, ['cpu'], '/d'),
    /unified\["memory\.high"\]: the memory controller is not enabled/,
  );
  t.same(pairs(v2.unifiedWrites({ 'cgroup.max.depth': '3', 'cpu.weight': '10' }, ['cpu'], '/d')), [
    ['cgroup.max.depth', '3'],
    ['cpu.weight', '10'],
  ]);
});

t.test('v2 device program: last matching rule wins, deny-all resets, defaults follow', async (t) => {
  const { compile, evaluate, encode } = await import('../../src/cgroups/v2/devices');
  const rules = v1.deviceRules({
    devices: [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 10, minor: 237, access: 'r' },
    ],
  });
  const p = compile(rules);
  t.ok(evaluate(p, 'c', 1, 3, 'rw'), '/dev/null (a default) is allowed');
  t.ok(evaluate(p, 'c', 136, 4, 'rw'), 'ptys are allowed');
  t.ok(evaluate(p, 'b', 8, 0, 'm'), 'mknod of block devices is allowed, as runc');
  t.notOk(evaluate(p, 'b', 8, 0, 'r'), 'reading a block device is not');
  t.ok(evaluate(p, 'c', 10, 237, 'r'), "the config's own allow rule");
  t.notOk(evaluate(p, 'c', 10, 237, 'rw'), '... only for the access it names');
  t.notOk(evaluate(p, 'c', 1, 1, 'r'), '/dev/mem is denied');
  const open = compile([
    { allow: true, access: 'rwm' },
    { allow: false, type: 'c', major: 1, minor: 1 },
  ]);
  t.ok(evaluate(open, 'b', 8, 0, 'rw'), 'allow-all default');
  t.notOk(evaluate(open, 'c', 1, 1, 'r'), 'with a later deny');
  t.equal(encode(p).length, p.length * 8, '8 bytes per instruction');
});
