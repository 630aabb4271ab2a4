// Every linux.resources field this host's v1 hierarchies can take: set in
// config.json, read back from the host's cgroup files and from inside the
// container; fields whose controller the host lacks fail with the field and
// the controller named, leaving nothing behind.
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { hostLayout } from '../../src/cgroups/mounts';
import type { Resources } from '../../src/cgroups/types';
import { Env, testSpec } from '../helpers';

const env = new Env('cgres');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

const layout = hostLayout();
const v1 = (ctrl: string) => layout.v1.find((h) => h.controllers.includes(ctrl));
const read = (ctrl: string, id: string, file: string) =>
  fs.readFileSync(path.join(v1(ctrl)!.mountPoint, 'carton', id, file), 'utf8').trim();
const [vdaMajor = 8, vdaMinor = 0] = fs.existsSync('/sys/block/vda/dev')
  ? fs.readFileSync('/sys/block/vda/dev', 'utf8').trim().split(':').map(Number)
  : [];
const vda = [vdaMajor, vdaMinor] as const;
const needed = ['memory', 'cpu', 'cpuset', 'pids', 'blkio', 'devices'];
const skip = needed.every((c) => v1(c)) ? false : 'needs v1 memory, cpu, cpuset, pids, blkio and devices hierarchies';

t.test('memory, cpu, cpuset, pids and blkio fields land in their v1 files and are seen inside', { skip }, async (t) => {
  const id = env.id();
  const r: Resources = {
    memory: {
      limit: 96 << 20,
      swap: 128 << 20,
      reservation: 32 << 20,
      kernelTCP: 16 << 20,
      swappiness: 20,
      disableOOMKiller: false,
      checkBeforeUpdate: true,
    },
    cpu: { shares: 256, quota: 20000, period: 50000, burst: 10000, idle: 0, cpus: '0', mems: '0' },
    pids: { limit: 33 },
    blockIO: {
      throttleReadBpsDevice: [{ major: vda[0], minor: vda[1], rate: 1048576 }],
      throttleWriteBpsDevice: [{ major: vda[0], minor: vda[1], rate: 2097152 }],
      throttleReadIOPSDevice: [{ major: vda[0], minor: vda[1], rate: 100 }],
      throttleWriteIOPSDevice: [{ major: vda[0], minor: vda[1], rate: 200 }],
    },
  };
  const inside =
    'cd /sys/fs/cgroup; cat memory/memory.limit_in_bytes memory/memory.memsw.limit_in_bytes cpu/cpu.cfs_quota_us cpuset/cpuset.cpus pids/pids.max blkio/blkio.throttle.read_bps_device; sleep 1000';
  const b = env.bundle(testSpec(['sh', '-c', inside], (s) => (s.linux!.resources = { ...s.linux!.resources, ...r })));
  const c = env.detached(['run', '-d', '--bundle', b, id]);
  t.equal(c.code, 0, c.stderr);
  t.equal(read('memory', id, 'memory.limit_in_bytes'), String(96 << 20));
  t.equal(read('memory', id, 'memory.memsw.limit_in_bytes'), String(128 << 20));
  t.equal(read('memory', id, 'memory.soft_limit_in_bytes'), String(32 << 20));
  t.equal(read('memory', id, 'memory.kmem.tcp.limit_in_bytes'), String(16 << 20));
  t.equal(read('memory', id, 'memory.swappiness'), '20');
  t.match(read('memory', id, 'memory.oom_control'), /oom_kill_disable 0/);
  t.equal(read('cpu', id, 'cpu.shares'), '256');
  t.equal(read('cpu', id, 'cpu.cfs_quota_us'), '20000');
  t.equal(read('cpu', id, 'cpu.cfs_period_us'), '50000');
  t.equal(read('cpu', id, 'cpu.cfs_burst_us'), '10000');
  t.equal(read('cpu', id, 'cpu.idle'), '0');
  t.equal(read('cpuset', id, 'cpuset.cpus'), '0');
  t.equal(read('cpuset', id, 'cpuset.mems'), '0');
  t.equal(read('pids', id, 'pids.max'), '33');
  t.equal(read('blkio', id, 'blkio.throttle.read_bps_device'), `${vda[0]}:${vda[1]} 1048576`);
  t.equal(read('blkio', id, 'blkio.throttle.write_bps_device'), `${vda[0]}:${vda[1]} 2097152`);
  t.equal(read('blkio', id, 'blkio.throttle.read_iops_device'), `${vda[0]}:${vda[1]} 100`);
  t.equal(read('blkio', id, 'blkio.throttle.write_iops_device'), `${vda[0]}:${vda[1]} 200`);
  for (let i = 0; i < 500 && !/\d+:\d+ \d+/.test(fs.readFileSync(c.out, 'utf8')); i++)
    await new Promise((r) => setTimeout(r, 20));
  t.equal(
    fs.readFileSync(c.out, 'utf8').trim(),
    [96 << 20, 128 << 20, 20000, 0, 33, `${vda[0]}:${vda[1]} 1048576`].join('\n'),
    'the container reads the same limits in its own cgroup',
  );
  t.equal(env.carton(['delete', '--force', id]).code, 0);
});

// blkio.weight (CFQ) or blkio.bfq.weight exist only with a weighting I/O scheduler in the
// kernel; without one (this 6.x VM: none, mq-deadline, kyber) the field is an error naming it.
t.test('blockIO.weight: written to the weight file, or an error naming field and file', { skip }, async (t) => {
  const id = env.id();
  const c = env.detached([
    'create',
    '--bundle',
    env.bundle(testSpec(['sleep', '10'], (s) => (s.linux!.resources = { blockIO: { weight: 300 } }))),
    id,
  ]);
  const dir = path.join(v1('blkio')!.mountPoint, 'carton', id);
  if (c.code === 0) {
    const weight = fs.existsSync(path.join(dir, 'blkio.weight')) ? 'blkio.weight' : 'blkio.bfq.weight';
    t.match(read('blkio', id, weight), /300/);
    t.equal(env.carton(['delete', '--force', id]).code, 0);
  } else {
    t.equal(c.code, 1);
    t.match(
      c.stderr,
      /^carton: linux\.resources\.blockIO\.weight: the blkio controller on this host has no blkio\.weight \(\/sys\/fs\/cgroup\/blkio\/carton\/c\d+-\d+\)\n$/,
    );
    t.notOk(fs.existsSync(dir), 'its cgroup removed');
    t.equal(env.carton(['state', id]).code, 1, 'and no container');
  }
});

t.test('disableOOMKiller and the realtime budget', { skip }, async (t) => {
  const id = env.id();
  const rt =
    Number(fs.readFileSync(path.join(v1('cpu')!.mountPoint, 'cpu.rt_runtime_us'), 'utf8')) > 0
      ? { realtimePeriod: 1000000 }
      : {};
  const b = env.bundle(
    testSpec(
      ['sleep', '100'],
      (s) => (s.linux!.resources = { memory: { limit: 64 << 20, disableOOMKiller: true }, cpu: { ...rt } }),
    ),
  );
  const c = env.detached(['create', '--bundle', b, id]);
  t.equal(c.code, 0, c.stderr);
  t.match(read('memory', id, 'memory.oom_control'), /oom_kill_disable 1/);
  if (rt.realtimePeriod) t.equal(read('cpu', id, 'cpu.rt_period_us'), '1000000');
  t.equal(env.carton(['delete', id]).code, 0);
});

t.test('a clamped cpu.shares is an error, as runc reports it', { skip }, async (t) => {
  const id = env.id();
  const r = env.detached([
    'create',
    '--bundle',
    env.bundle(testSpec(['true'], (s) => (s.linux!.resources = { cpu: { shares: 1 } }))),
    id,
  ]);
  t.equal(r.code, 1);
  t.match(r.stderr, /linux\.resources\.cpu\.shares: the minimum allowed cpu-shares is 2/);
  t.notOk(fs.existsSync(path.join(v1('cpu')!.mountPoint, 'carton', id)));
});

t.test(
  'a per-device weight needs the device to use a weighting I/O scheduler; the error says which field',
  { skip },
  async (t) => {
    const sched = fs.readFileSync(`/sys/dev/block/${vda[0]}:${vda[1]}/queue/scheduler`, 'utf8');
    const id = env.id();
    const c = env.detached([
      'create',
      '--bundle',
      env.bundle(
        testSpec(
          ['sleep', '10'],
          (s) => (s.linux!.resources = { blockIO: { weightDevice: [{ major: vda[0], minor: vda[1], weight: 200 }] } }),
        ),
      ),
      id,
    ]);
    if (/\[bfq\]/.test(sched)) {
      t.equal(c.code, 0, c.stderr);
      t.match(read('blkio', id, 'blkio.bfq.weight_device'), `${vda[0]}:${vda[1]} 200`);
    } else {
      t.equal(c.code, 1);
      // a kernel with BFQ but another scheduler on the device refuses the write; one without BFQ has no file
      t.match(
        c.stderr,
        new RegExp(
          `linux\\.resources\\.blockIO\\.weightDevice\\[0\\]: (write ${vda[0]}:${vda[1]} 200 to .*weight_device: operation not supported|the blkio controller on this host has no blkio\\.weight_device)`,
        ),
      );
    }
    env.carton(['delete', '--force', id]);
  },
);

const absent: Array<[string, Resources, RegExp]> = [
  [
    'hugetlb',
    { hugepageLimits: [{ pageSize: '2MB', limit: 2097152 }] },
    /linux\.resources\.hugepageLimits: the hugetlb cgroup controller is not available on this host/,
  ],
  [
    'net_cls',
    { network: { classID: 1048577 } },
    /linux\.resources\.network\.classID: the net_cls cgroup controller \(cgroup v2 has no equivalent\) is not available on this host/,
  ],
  [
    'net_prio',
    { network: { priorities: [{ name: 'lo', priority: 1 }] } },
    /linux\.resources\.network\.priorities: the net_prio cgroup controller/,
  ],
  [
    'rdma',
    { rdma: { mlx5_1: { hcaHandles: 1 } } },
    /linux\.resources\.rdma\.mlx5_1: the rdma cgroup controller is not available on this host/,
  ],
];
for (const [ctrl, r, re] of absent) {
  t.test(
    `a ${ctrl} field on a host without ${ctrl} fails, naming field and controller, leaving nothing`,
    { skip: v1(ctrl) ? `this host has ${ctrl}` : false },
    async (t) => {
      const id = env.id();
      const c = env.detached([
        'create',
        '--bundle',
        env.bundle(testSpec(['true'], (s) => (s.linux!.resources = r))),
        id,
      ]);
      t.equal(c.code, 1);
      t.match(c.stderr, re);
      t.equal(c.stderr.trim().split('\n').length, 1, 'one line');
      for (const h of layout.v1)
        t.notOk(fs.existsSync(path.join(h.mountPoint, 'carton', id)), `no cgroup left in ${h.mountPoint}`);
      t.notOk(fs.existsSync(path.join(env.root, id)), 'no state left');
    },
  );
}

t.test(
  'unified keys on a hybrid host: core files are written, controllers bound to v1 are refused',
  { skip: layout.mode === 'hybrid' ? false : 'hybrid host only' },
  async (t) => {
    const id = env.id();
    const ok = env.detached([
      'create',
      '--bundle',
      env.bundle(testSpec(['sleep', '10'], (s) => (s.linux!.resources = { unified: { 'cgroup.max.depth': '2' } }))),
      id,
    ]);
    t.equal(ok.code, 0, ok.stderr);
    t.equal(
      fs.readFileSync(path.join(layout.unified!.mountPoint, 'carton', id, 'cgroup.max.depth'), 'utf8').trim(),
      '2',
    );
    t.equal(env.carton(['delete', id]).code, 0);
    const id2 = env.id();
    const bad = env.detached([
      'create',
      '--bundle',
      env.bundle(testSpec(['true'], (s) => (s.linux!.resources = { unified: { 'memory.high': '1000000' } }))),
      id2,
    ]);
    t.equal(bad.code, 1);
    t.match(
      bad.stderr,
      /linux\.resources\.unified\["memory\.high"\]: the memory controller is not enabled in the cgroup v2 hierarchy/,
    );
    t.notOk(fs.existsSync(path.join(layout.unified!.mountPoint, 'carton', id2)));
  },
);
