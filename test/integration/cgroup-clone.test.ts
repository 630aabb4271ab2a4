// carton-init is born in the container's cgroup2 cgroup (clone3 with
// CLONE_INTO_CGROUP), so nothing it or its children run is ever charged to
// carton's own cgroup. The first test holds stage A before 'G', where no
// one has written any cgroup.procs yet: with posix_spawn init would still
// be in our cgroup there, so only a spawn into the cgroup passes it.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { CARTON, Env, testSpec } from '../helpers';
import * as cgroups from '../../src/cgroups/manager';
import { addon } from '../../src/native';
import { initPath } from '../../src/paths';
import { buildPlan } from '../../src/plan/build';
import { encodePlan } from '../../src/plan/encode';
import { loadBundle } from '../../src/spec/load';

const env = new Env('cgclone');
const unified = '/sys/fs/cgroup/unified';
const skip = fs.existsSync(path.join(unified, 'cgroup.procs'))
  ? false
  : 'needs a cgroup2 hierarchy at /sys/fs/cgroup/unified';
// Our own parent for the addon-level test; removed in teardown.
const parent = path.join(unified, `cgclone-test-${process.pid}`);

t.teardown(() => {
  const leaks = env.cleanup();
  for (const id of env.ids)
    if (fs.existsSync(path.join(unified, 'carton', id))) leaks.push(`cgroup left: unified/carton/${id}`);
  if (fs.existsSync(parent)) {
    try {
      for (const d of fs.readdirSync(parent, { withFileTypes: true }))
        if (d.isDirectory()) fs.rmdirSync(path.join(parent, d.name));
      fs.rmdirSync(parent);
    } catch (e) {
      leaks.push(`cgroup left: ${parent}: ${String(e)}`);
    }
  }
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

const cgroup2Of = (pid: number) => /^0::(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'))?.[1];

/** Spawn stage A as create would (a real plan), and leave it waiting for 'G'. */
function spawnStageA(dir: string | undefined): {
  pid: number;
  sync: number;
  via: string;
  fallback?: string;
  nul: number;
} {
  const b = loadBundle(env.bundle(testSpec(['true'])));
  const layout = cgroups.hostLayout();
  const rec = cgroups.plan(layout, cgroups.resolveCgroupsPath(undefined, 'cgclone'));
  const plan = encodePlan(
    buildPlan(b, {
      id: 'cgclone',
      noPivot: false,
      noNewKeyring: false,
      preserved: 0,
      console: false,
      cgroup: rec,
      layout,
    }),
  );
  // Stands in for the exec fifo: stage A only checks the fd is open.
  const nul = fs.openSync('/dev/null', 'r');
  try {
    return { ...addon().spawnInit(initPath, plan, [nul], dir), nul };
  } catch (e) {
    fs.closeSync(nul);
    throw e;
  }
}

function endStageA(a: { pid: number; sync: number; nul: number }): void {
  process.kill(a.pid, 'SIGKILL');
  addon().waitPid(a.pid, false);
  addon().close(a.sync);
  fs.closeSync(a.nul);
}

t.test(
  'the addon: init is in the cgroup before anyone moves it; without a directory it is not',
  { skip },
  async (t) => {
    fs.mkdirSync(parent);
    const dir = path.join(parent, 'c');
    fs.mkdirSync(dir);
    const ours = cgroup2Of(process.pid);

    const a = spawnStageA(dir);
    t.equal(a.via, 'clone3');
    t.equal(cgroup2Of(a.pid), `/cgclone-test-${process.pid}/c`, 'stage A, waiting for G, is already in the cgroup');
    t.same(
      fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').trim().split('\n').map(Number),
      [a.pid],
      'and is the only process there',
    );
    // The same exact fd table as posix_spawn builds: 0-2, the fifo stand-in,
    // the plan (4: stage A closes it once read, so it may be gone), sync.
    t.same(
      fs
        .readdirSync(`/proc/${a.pid}/fd`)
        .map(Number)
        .filter((f) => f !== 4)
        .sort((x, y) => x - y),
      [0, 1, 2, 3, 5],
    );
    t.match(fs.readlinkSync(`/proc/${a.pid}/fd/3`), '/dev/null');
    t.match(fs.readlinkSync(`/proc/${a.pid}/fd/5`), /^socket:/);
    t.equal(
      /^SigIgn:\s*(\S+)/m.exec(fs.readFileSync(`/proc/${a.pid}/status`, 'utf8'))?.[1],
      '0000000000000000',
      'no signal ignored (Node ignores SIGPIPE)',
    );
    t.equal(
      /^SigBlk:\s*(\S+)/m.exec(fs.readFileSync(`/proc/${a.pid}/status`, 'utf8'))?.[1],
      '0000000000000000',
      'no signal blocked',
    );
    endStageA(a);

    const b = spawnStageA(undefined);
    t.equal(b.via, 'posix_spawn');
    t.equal(cgroup2Of(b.pid), ours, 'posix_spawn leaves it in our cgroup until the parent writes cgroup.procs');
    endStageA(b);

    t.throws(
      () => spawnStageA(path.join(parent, 'missing')),
      /open cgroup .*missing: No such file or directory/,
      'a cgroup that is not there is an error, not a silent fallback',
    );
  },
);

t.test('create --debug: clone3 into the container cgroup; init B and an exec are there', { skip }, async (t) => {
  const id = env.id();
  const r = env.detached(
    ['create', '--bundle', env.bundle(testSpec(['sleep', '1000'])), id],
    ['--root', env.root, '--debug'],
  );
  t.equal(r.code, 0, r.out);
  t.match(r.stdout, `init spawned by clone3 into cgroup ${unified}/carton/${id}`);
  const pid = env.state(id).pid;
  t.equal(cgroup2Of(pid), `/carton/${id}`);
  t.match(
    fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'),
    new RegExp(`:pids:/carton/${id}$`, 'm'),
    'the v1 controllers still get it from the parent',
  );

  const e = env.carton(['exec', id, 'cat', '/proc/self/cgroup'], { globals: ['--root', env.root, '--debug'] });
  t.equal(e.code, 0, e.stderr);
  t.match(e.stderr, `init spawned by clone3 into cgroup ${unified}/carton/${id}`);
  t.match(e.stdout, /^0::\/$/m, 'the exec is at the root of the container cgroup namespace');

  fs.mkdirSync(path.join(unified, 'carton', id, 'sub'));
  const s = env.carton(['exec', '--cgroup', 'unified:sub', id, 'cat', '/proc/self/cgroup'], {
    globals: ['--root', env.root, '--debug'],
  });
  t.equal(s.code, 0, s.stderr);
  t.match(s.stderr, `init spawned by clone3 into cgroup ${unified}/carton/${id}/sub`);
  t.match(s.stdout, /^0::\/sub$/m, '--cgroup: born in the sub-cgroup');
  fs.rmdirSync(path.join(unified, 'carton', id, 'sub'));
  t.equal(env.carton(['delete', '--force', id]).code, 0);
  t.notOk(fs.existsSync(path.join(unified, 'carton', id)), 'delete removed it');
});

t.test(
  'the posix_spawn fallback (CARTON_TEST_SPAWN_FALLBACK=1) still places init in every cgroup',
  { skip },
  async (t) => {
    const id = env.id();
    process.env.CARTON_TEST_SPAWN_FALLBACK = '1';
    let r;
    try {
      r = env.detached(
        ['create', '--bundle', env.bundle(testSpec(['sleep', '1000'])), id],
        ['--root', env.root, '--debug'],
      );
    } finally {
      delete process.env.CARTON_TEST_SPAWN_FALLBACK;
    }
    t.equal(r.code, 0, r.out);
    t.match(r.stdout, 'init spawned by posix_spawn (no cgroup2 directory to clone into)');
    t.notMatch(r.stdout, 'clone3');
    const pid = env.state(id).pid;
    t.equal(cgroup2Of(pid), `/carton/${id}`);
    t.match(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'), new RegExp(`:pids:/carton/${id}$`, 'm'));
    const e = env.carton(['exec', id, 'cat', '/proc/self/cgroup'], {
      globals: ['--root', env.root, '--debug'],
      env: { ...process.env, CARTON_TEST_SPAWN_FALLBACK: '1' },
    });
    t.equal(e.code, 0, e.stderr);
    t.match(e.stderr, 'init spawned by posix_spawn');
    t.match(e.stdout, /^0::\/$/m);
    t.equal(env.carton(['delete', '--force', id]).code, 0);
  },
);

/** carton in a private mount namespace whose /sys/fs/cgroup is cgroup2 only (a pure-v2 host's view; see cgroup-v2.test.ts). */
function pureV2(args: string[]): { code: number | null; out: string } {
  const out = path.join(env.dir, `v2-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  const fd = fs.openSync(out, 'w+');
  const sh = 'umount -R /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec "$@"';
  const r = spawnSync(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', '-c', sh, 'sh', CARTON, '--root', env.root, '--debug', ...args],
    { stdio: ['ignore', fd, fd], timeout: 30000 },
  );
  fs.closeSync(fd);
  return { code: r.status, out: fs.readFileSync(out, 'utf8') };
}

t.test('pure v2: init is born in /sys/fs/cgroup/carton/<id>', { skip }, async (t) => {
  const id = env.id();
  const r = pureV2(['create', '--bundle', env.bundle(testSpec(['sleep', '1000'])), id]);
  t.equal(r.code, 0, r.out);
  t.match(r.out, `init spawned by clone3 into cgroup /sys/fs/cgroup/carton/${id}`);
  const pid = env.state(id).pid;
  t.equal(cgroup2Of(pid), `/carton/${id}`);
  t.equal(pureV2(['delete', '--force', id]).code, 0);
  t.notOk(fs.existsSync(path.join(unified, 'carton', id)));
});
