// --systemd-cgroup against a real systemd (252, Debian's) as PID 1 of its own
// namespaces (test/systemd-ns.ts): carton runs inside them as on a systemd
// machine, starts the container's transient scope over D-Bus, and the tests
// read back what systemd and the cgroup files say, from systemctl and from
// the host's view of the same directories.
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { hostLayout } from '../../src/cgroups/mounts';
import { Env, testSpec } from '../helpers';
import { SYSTEMD, SystemdNs } from '../systemd-ns';

const layout = hostLayout();
const v1 = (c: string) => layout.v1.find((h) => h.controllers.includes(c))?.mountPoint;
const skip = !fs.existsSync(SYSTEMD)
  ? `no ${SYSTEMD} (Debian package systemd)`
  : layout.mode === 'v2'
    ? 'the harness mounts v1 hierarchies (hybrid or v1 host)'
    : false;

const env = new Env('systemd');
const ns = new SystemdNs(env.dir, `carton-sdtest-${process.pid}`);
const root = path.join(env.dir, 'sdroot');

t.before(async () => {
  if (!skip) await ns.start();
});
t.teardown(async () => {
  const left = skip ? [] : await ns.stop();
  const leaks = [...left, ...env.cleanup()];
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

const show = (unit: string, props: string[]) =>
  Object.fromEntries(
    ns
      .systemctl(['show', '-p', props.join(','), unit])
      .stdout.trim()
      .split('\n')
      .map((l) => l.split('=', 2) as [string, string]),
  );
const read = (ctrl: string, cgPath: string, file: string) =>
  fs.readFileSync(path.join(ns.hostDir(v1(ctrl)!, cgPath), file), 'utf8').trim();

t.test('a container in its own scope: limits in the files, in systemd, and seen inside', { skip }, async (t) => {
  const id = env.id('sd');
  const scope = `/system.slice/carton-${id}.scope`;
  const b = env.bundle(
    testSpec(
      ['sleep', '1000'],
      (s) => (s.linux!.resources = { memory: { limit: 64 << 20 }, pids: { limit: 20 }, cpu: { shares: 512 } }),
    ),
  );
  const r = ns.carton(root, ['run', '-d', '--bundle', b, id]);
  t.equal(r.code, 0, r.stderr);
  t.match(show(`carton-${id}.scope`, ['ActiveState', 'Slice', 'Delegate', 'TasksMax', 'MemoryLimit', 'CPUShares']), {
    ActiveState: 'active',
    Slice: 'system.slice',
    Delegate: 'yes',
    TasksMax: '20',
    MemoryLimit: String(64 << 20),
    CPUShares: '512',
  });
  const pid = JSON.parse(ns.carton(root, ['state', id]).stdout).pid as number;
  t.match(
    ns.systemctl(['status', `carton-${id}.scope`]).stdout,
    new RegExp(`${pid} sleep 1000`),
    "init is the scope's process",
  );
  t.equal(read('memory', scope, 'memory.limit_in_bytes'), String(64 << 20));
  t.equal(read('pids', scope, 'pids.max'), '20');
  t.equal(read('cpu', scope, 'cpu.shares'), '512');
  if (v1('freezer'))
    t.equal(read('freezer', scope, 'freezer.state'), 'THAWED', 'hierarchies systemd does not manage are joined too');
  const inside = ns.carton(root, ['exec', id, 'cat', '/sys/fs/cgroup/pids/pids.max']);
  t.equal(inside.stdout.trim(), '20', 'the container (and an exec) sees its limit');

  const u = ns.carton(root, ['update', '--pids-limit', '30', '--memory', '128m', id]);
  t.equal(u.code, 0, u.stderr);
  t.equal(read('pids', scope, 'pids.max'), '30');
  t.match(
    show(`carton-${id}.scope`, ['TasksMax', 'MemoryLimit']),
    { TasksMax: '30', MemoryLimit: String(128 << 20) },
    'update reaches the unit too',
  );

  t.equal(ns.carton(root, ['pause', id]).code, 0);
  t.equal(JSON.parse(ns.carton(root, ['state', id]).stdout).status, 'paused');
  t.equal(ns.carton(root, ['resume', id]).code, 0);
  t.match(ns.carton(root, ['ps', id]).stdout, /sleep/, "ps lists the scope's processes");

  const d = ns.carton(root, ['delete', '--force', id]);
  t.equal(d.code, 0, d.stderr);
  t.equal(show(`carton-${id}.scope`, ['LoadState']).LoadState, 'not-found', 'delete stopped the scope');
  for (const c of ['memory', 'pids', 'cpu', 'freezer', 'cpuset']) {
    if (v1(c)) t.notOk(fs.existsSync(ns.hostDir(v1(c)!, scope)), `no ${c} directory left`);
  }
});

t.test('cgroupsPath "slice:prefix:name": nested slices, the scope named as runc names it', { skip }, async (t) => {
  const id = env.id('sd');
  const b = env.bundle(testSpec(['sleep', '1000'], (s) => (s.linux!.cgroupsPath = `carton-test-a.slice:pfx:${id}`)));
  const r = ns.carton(root, ['create', '--bundle', b, id]);
  t.equal(r.code, 0, r.stderr);
  const scope = `/carton.slice/carton-test.slice/carton-test-a.slice/pfx-${id}.scope`;
  t.match(show(`pfx-${id}.scope`, ['ActiveState', 'Slice']), { ActiveState: 'active', Slice: 'carton-test-a.slice' });
  t.ok(fs.existsSync(ns.hostDir(v1('memory')!, scope)), `${scope} in the memory hierarchy`);
  const pid = JSON.parse(ns.carton(root, ['state', id]).stdout).pid as number;
  t.match(ns.run(['cat', `/proc/${pid}/cgroup`]).stdout, new RegExp(`name=systemd:${scope.replace(/\./g, '\\.')}`));

  // The same unit twice: systemd says no, the first container is untouched.
  const id2 = env.id('sd');
  const again = ns.carton(root, ['create', '--bundle', b, id2]);
  t.equal(again.code, 1);
  t.match(again.stderr, `systemd: start pfx-${id}.scope in carton-test-a.slice: the unit already exists`);
  t.equal(ns.carton(root, ['state', id2]).code, 1, 'no second container');
  t.equal(show(`pfx-${id}.scope`, ['ActiveState']).ActiveState, 'active');
  t.equal(ns.carton(root, ['delete', '--force', id]).code, 0);
  t.equal(show(`pfx-${id}.scope`, ['LoadState']).LoadState, 'not-found');
});

t.test(
  'a container that exited: systemd collects the empty scope, delete still succeeds and leaves nothing',
  { skip },
  async (t) => {
    const id = env.id('sd');
    const b = env.bundle(testSpec(['true']));
    t.equal(ns.carton(root, ['create', '--bundle', b, id]).code, 0);
    t.equal(ns.carton(root, ['start', id]).code, 0);
    let status = '';
    for (let i = 0; i < 100 && status !== 'stopped'; i++) {
      status = JSON.parse(ns.carton(root, ['state', id]).stdout).status;
      if (status !== 'stopped') await new Promise((r) => setTimeout(r, 50));
    }
    t.equal(status, 'stopped');
    const d = ns.carton(root, ['delete', id]);
    t.equal(d.code, 0, d.stderr);
    t.equal(show(`carton-${id}.scope`, ['LoadState']).LoadState, 'not-found');
    for (const c of ['memory', 'pids', 'freezer', 'cpuset']) {
      if (v1(c))
        t.notOk(fs.existsSync(ns.hostDir(v1(c)!, `/system.slice/carton-${id}.scope`)), `no ${c} directory left`);
    }
    t.notOk(fs.existsSync(path.join(root, id)));
  },
);

t.test('a create that fails after the scope started leaves no scope, cgroup or state', { skip }, async (t) => {
  const id = env.id('sd');
  const b = env.bundle(testSpec(['true'], (s) => (s.hooks = { createRuntime: [{ path: '/bin/false' }] })));
  const r = ns.carton(root, ['create', '--bundle', b, id]);
  t.equal(r.code, 1);
  t.match(r.stderr, /createRuntime/);
  t.equal(show(`carton-${id}.scope`, ['LoadState']).LoadState, 'not-found');
  t.notOk(fs.existsSync(ns.hostDir(v1('memory')!, `/system.slice/carton-${id}.scope`)));
  t.notOk(fs.existsSync(path.join(root, id)));
});

t.test(
  'a cgroupsPath that is not "slice:prefix:name" is an error naming it, before anything exists',
  { skip },
  async (t) => {
    const id = env.id('sd');
    const b = env.bundle(testSpec(['true'], (s) => (s.linux!.cgroupsPath = '/plain/path')));
    const r = ns.carton(root, ['create', '--bundle', b, id]);
    t.equal(r.code, 1);
    t.equal(
      r.stderr,
      'carton: linux.cgroupsPath: expected "slice:prefix:name" for the systemd cgroup driver, got "/plain/path"\n',
    );
    t.notOk(fs.existsSync(path.join(root, id)));
  },
);
