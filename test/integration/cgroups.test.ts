// Placement and the first resource limits, on this host's real hierarchy:
// read back from the host's cgroup files and from inside the container.
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { hostLayout } from '../../src/cgroups/mounts';
import { Env, testSpec } from '../helpers';

const env = new Env('cg');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

const layout = hostLayout();
const v1 = (ctrl: string) => layout.v1.find((h) => h.controllers.includes(ctrl));

t.test(
  'the container is in /carton/<id> in every hierarchy, with memory, pids and cpu limits applied',
  { skip: layout.mode === 'v2' ? 'v1 hierarchy checks' : false },
  async (t) => {
    const id = env.id();
    const b = env.bundle(
      testSpec(
        [
          'sh',
          '-c',
          'cat /proc/self/cgroup; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; sleep 1000',
        ],
        (s) => {
          s.linux!.resources = {
            ...s.linux!.resources,
            memory: { limit: 64 * 1024 * 1024 },
            pids: { limit: 42 },
            cpu: { shares: 512, quota: 50000, period: 100000 },
          };
        },
      ),
    );
    const c = env.detached(['run', '-d', '--bundle', b, id]);
    t.equal(c.code, 0, c.stderr);
    const pid = env.state(id).pid;
    const procCg = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    for (const h of layout.v1)
      t.match(procCg, new RegExp(`:${h.controllers.join(',')}:/carton/${id}\\n`), `in ${h.controllers.join(',')}`);
    if (layout.unified) t.match(procCg, new RegExp(`0::/carton/${id}\\n`), 'in the cgroup2 hierarchy');
    const dir = (ctrl: string) => path.join(v1(ctrl)!.mountPoint, 'carton', id);
    t.equal(
      fs.readFileSync(path.join(dir('memory'), 'memory.limit_in_bytes'), 'utf8').trim(),
      String(64 * 1024 * 1024),
    );
    t.equal(fs.readFileSync(path.join(dir('pids'), 'pids.max'), 'utf8').trim(), '42');
    t.equal(fs.readFileSync(path.join(dir('cpu'), 'cpu.shares'), 'utf8').trim(), '512');
    t.equal(fs.readFileSync(path.join(dir('cpu'), 'cpu.cfs_quota_us'), 'utf8').trim(), '50000');
    await new Promise((r) => setTimeout(r, 300));
    const out = fs.readFileSync(c.out, 'utf8');
    t.match(out, /memory:\/\n/, 'with a cgroup namespace the container sees itself at /');
    t.match(out, new RegExp(`\\n${64 * 1024 * 1024}\\n42\\n`), 'the limits are visible inside');
    t.equal(env.carton(['delete', '--force', id]).code, 0);
    t.notOk(fs.existsSync(dir('memory')), 'delete removed the cgroup');
  },
);

t.test('the pids limit is enforced', { skip: v1('pids') ? false : 'no pids controller' }, async (t) => {
  const r = env.carton([
    'run',
    '--bundle',
    env.bundle(
      testSpec(
        ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done 2>&1; echo done'],
        (s) => (s.linux!.resources = { ...s.linux!.resources, pids: { limit: 4 } }),
      ),
    ),
    env.id(),
  ]);
  t.match(
    r.stdout + r.stderr,
    /can't fork|Resource temporarily unavailable|Cannot allocate/,
    'fork fails at the limit',
  );
});

t.test(
  'the memory limit is enforced: a container over it is OOM-killed',
  { skip: v1('memory') ? false : 'no memory controller' },
  async (t) => {
    const r = env.carton([
      'run',
      '--bundle',
      env.bundle(
        testSpec(
          ['sh', '-c', 'x=$(head -c 50000000 /dev/zero | tr "\\0" a); echo survived'],
          (s) =>
            (s.linux!.resources = {
              ...s.linux!.resources,
              memory: { limit: 16 * 1024 * 1024, swap: 16 * 1024 * 1024 },
            }),
        ),
      ),
      env.id(),
    ]);
    t.notMatch(r.stdout, /survived/);
    t.equal(r.code, 137, 'killed by SIGKILL');
  },
);

t.test('an explicit cgroupsPath is used; carton removes only what it created', async (t) => {
  const parent = `carton-t-${process.pid}`;
  const mem = v1('memory') ?? layout.unified!;
  const mine = path.join(mem.mountPoint, parent);
  fs.mkdirSync(mine); // a parent carton did not create
  t.teardown(() => fs.rmdirSync(mine));
  const id = env.id();
  const b = env.bundle(testSpec(['sleep', '100'], (s) => (s.linux!.cgroupsPath = `/${parent}/${id}`)));
  t.equal(env.detached(['create', '--bundle', b, id]).code, 0);
  t.ok(fs.existsSync(path.join(mine, id)));
  t.equal(env.carton(['delete', id]).code, 0);
  t.notOk(fs.existsSync(path.join(mine, id)), 'its own cgroup is removed');
  t.ok(fs.existsSync(mine), 'the parent it did not create stays');
});

t.test('a bad limit fails create with the field named, and leaves no cgroup', async (t) => {
  const id = env.id();
  const r = env.detached([
    'create',
    '--bundle',
    env.bundle(testSpec(['true'], (s) => (s.linux!.resources = { cpu: { cpus: '999' } }))),
    id,
  ]);
  t.equal(r.code, 1);
  t.match(r.stderr, /linux\.resources\.cpu\.cpus: write 999 to .*cpuset\.cpus/);
  for (const h of layout.v1) t.notOk(fs.existsSync(path.join(h.mountPoint, 'carton', id)));
});
