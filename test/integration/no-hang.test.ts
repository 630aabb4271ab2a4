// No carton command waits forever (issue 13, "No command ever hangs"). Every
// child carton here runs with a spawn timeout, so a regression fails the
// test instead of hanging the suite; each test says how it failed before.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { hostLayout } from '../../src/cgroups/mounts';
import { CARTON, Env, pidAlive, testSpec } from '../helpers';

const env = new Env('nohang');
const made: string[] = [];
t.teardown(() => {
  // The cgroups these tests made by hand (carton never removes what it did not create).
  for (const d of made.reverse()) {
    for (let i = 0; i < 100; i++) {
      try {
        fs.rmdirSync(d);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') break;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      }
    }
  }
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

const layout = hostLayout();

let outN = 0;
/**
 * carton with a hard bound: SIGKILL after `ms`, so a hang is a failure, not
 * a stall. Output goes to files: a frozen or stopped init holding a pipe
 * would keep spawnSync waiting for EOF past the child's death.
 */
/** A directory the test made: missing means the test's own setup failed. */
function dirOf(dirs: Record<string, string>, key: string): string {
  const d = dirs[key];
  if (d === undefined) throw new Error(`no cgroup directory for "${key}"`);
  return d;
}

function bounded(
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
  ms = 15000,
): { code: number | null; signal: string | null; stdout: string; stderr: string } {
  const files = [1, 2].map((i) => path.join(env.dir, `bounded-${++outN}.${i}`));
  const fds = files.map((f) => fs.openSync(f, 'w+')) as [number, number];
  try {
    const r = spawnSync(CARTON, ['--root', env.root, ...args], {
      stdio: ['ignore', fds[0], fds[1]],
      env: { ...process.env, ...extraEnv },
      timeout: ms,
      killSignal: 'SIGKILL',
    });
    return {
      code: r.status,
      signal: r.signal,
      stdout: fs.readFileSync(files[0] ?? '', 'utf8'),
      stderr: fs.readFileSync(files[1] ?? '', 'utf8'),
    };
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
}

/** The default cgroup of `id` made in every hierarchy before carton runs, as an earlier container would leave it. */
function preexisting(id: string): Record<string, string> {
  const dirs: Record<string, string> = {};
  const all = [
    ...layout.v1.map((h) => ({ key: h.controllers.join(','), mp: h.mountPoint })),
    ...(layout.unified ? [{ key: '', mp: layout.unified.mountPoint }] : []),
  ];
  for (const { key, mp } of all) {
    const parent = path.join(mp, 'carton');
    if (!fs.existsSync(parent)) {
      fs.mkdirSync(parent);
      made.push(parent);
    }
    const d = path.join(parent, id);
    fs.mkdirSync(d);
    made.push(d);
    dirs[key] = d;
  }
  const cs = Object.keys(dirs).find((k) => k.split(',').includes('cpuset'));
  if (cs !== undefined) {
    // v1 cpuset: a child's cpus/mems must be a subset of its parent's (else
    // EACCES), and a /carton this test just made is still empty: fill it
    // from the root first, then the container's directory from it.
    const child = dirOf(dirs, cs);
    const parent = path.dirname(child);
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      if (!fs.readFileSync(path.join(parent, f), 'utf8').trim())
        fs.writeFileSync(path.join(parent, f), fs.readFileSync(path.join(path.dirname(parent), f), 'utf8').trim());
      fs.writeFileSync(path.join(child, f), fs.readFileSync(path.join(parent, f), 'utf8').trim());
    }
  }
  return dirs;
}

const freezerKey = layout.v1.find((h) => h.controllers.includes('freezer'))?.controllers.join(',');

t.test('exec --ignore-paused on a paused container and resume from another shell both finish', async (t) => {
  // Before: both hung forever (killed by the 15 s timeout, status null):
  // exec held the container's lock while its process sat frozen, and
  // resume waited for that lock.
  const id = env.id();
  const r = env.detached(['run', '-d', '--bundle', env.bundle(testSpec(['sleep', '1000'])), id]);
  t.equal(r.code, 0, r.stderr);
  env.state(id);
  t.equal(env.carton(['pause', id]).code, 0);
  const exec = spawn(CARTON, ['--root', env.root, 'exec', '--ignore-paused', id, 'echo', 'after-resume'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 15000,
    killSignal: 'SIGKILL',
  });
  let out = '';
  exec.stdout.on('data', (d: Buffer) => (out += d.toString()));
  exec.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<number | null>((res) => exec.on('exit', (code) => res(code)));
  await new Promise((res) => setTimeout(res, 1000));
  t.equal(exec.exitCode, null, 'exec waits while the container is paused');
  const resume = bounded(['resume', id]);
  t.equal(resume.code, 0, `resume finishes: ${resume.stderr}`);
  t.equal(await done, 0, 'exec finishes once resumed');
  t.equal(out.trim(), 'after-resume');
  t.equal(env.carton(['delete', '--force', id]).code, 0);
});

t.test('create in an existing frozen cgroup is refused, nothing is left', async (t) => {
  // Before: create hung forever (init was born frozen) and, holding its
  // stdout, so did the caller: status null after the 15 s timeout.
  const kinds: Array<[string, string, string, string]> = [];
  if (freezerKey !== undefined) kinds.push([freezerKey, 'freezer.state', 'FROZEN', 'THAWED']);
  if (layout.unified) kinds.push(['', 'cgroup.freeze', '1', '0']);
  for (const [key, file, on, off] of kinds) {
    const id = env.id('frz');
    const dirs = preexisting(id);
    fs.writeFileSync(path.join(dirOf(dirs, key), file), on);
    const b = env.bundle(testSpec(['true']));
    const r = bounded(['run', '--bundle', b, id]);
    fs.writeFileSync(path.join(dirOf(dirs, key), file), off);
    t.equal(r.code, 1, `${file}=${on}: run fails (signal ${r.signal})`);
    t.match(r.stderr, /container's cgroup unexpectedly frozen/, "runc's words");
    t.notOk(fs.existsSync(path.join(env.root, id)), 'no state left');
    for (const d of Object.values(dirs)) t.ok(fs.existsSync(d), `${d}: not carton's to remove`);
    for (const d of Object.values(dirs))
      t.equal(fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8'), '', `${d}: no process left`);
  }
});

t.test('create in an existing cgroup that holds processes warns as runc does', async (t) => {
  // Before: no warning at all (runc 1.1.5: "container's cgroup is not empty: 1 process(es) found").
  const id = env.id('pop');
  const dirs = preexisting(id);
  const sleeper = spawn('sleep', ['1000'], { stdio: 'ignore' });
  const pidsKey = Object.keys(dirs).find((k) => k.split(',').includes('pids')) ?? '';
  fs.writeFileSync(path.join(dirOf(dirs, pidsKey), 'cgroup.procs'), String(sleeper.pid));
  try {
    const r = bounded(['run', '--bundle', env.bundle(testSpec(['echo', 'ran'])), id]);
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout.trim(), 'ran');
    t.match(r.stderr, /level=warning msg="container's cgroup is not empty: 1 process\(es\) found"/);
  } finally {
    sleeper.kill('SIGKILL');
    await new Promise((res) => sleeper.on('exit', res));
  }
});

t.test(
  'an existing empty cgroup that once saw cgroup.kill is reused',
  { skip: !layout.unified && 'no cgroup2 hierarchy' },
  async (t) => {
    // Before: `run` died right after "init spawned by clone3 into cgroup
    // .../carton/<id>" with status 141 and an empty stderr, every time: the
    // kernel SIGKILLs a CLONE_INTO_CGROUP child of a cgroup2 directory that
    // once had cgroup.kill written (what kill --all / delete --force do), and
    // the CLI took the sync socket's EPIPE for a closed stdout.
    const id = env.id('killed');
    const dirs = preexisting(id);
    fs.writeFileSync(path.join(dirOf(dirs, ''), 'cgroup.kill'), '1');
    for (const via of ['default', 'posix_spawn']) {
      const r = bounded(
        ['--debug', 'run', '--bundle', env.bundle(testSpec(['echo', 'ran'])), id],
        via === 'posix_spawn' ? { CARTON_TEST_SPAWN_FALLBACK: '1' } : {},
      );
      t.equal(
        r.code,
        0,
        `${via}: ${r.stderr
          .split('\n')
          .filter((l) => !/phase/.test(l))
          .join('\n')}`,
      );
      t.equal(r.stdout.trim(), 'ran', `${via}: the container ran`);
      t.notOk(fs.existsSync(path.join(env.root, id)), 'deleted');
    }
  },
);

const memKey = layout.v1.find((h) => h.controllers.includes('memory'))?.controllers.join(',');

t.test(
  'an init that dies before the handshake is reported, never a silent exit',
  { skip: memKey === undefined && 'no v1 memory controller' },
  async (t) => {
    // A memory limit far below what init needs, on an existing cgroup, has the
    // OOM killer kill it mid-handshake. Before: "carton-init exited before the
    // container process was created", without the cause; now the signal is named.
    const id = env.id('oom');
    const dirs = preexisting(id);
    fs.writeFileSync(path.join(dirOf(dirs, memKey ?? 'memory'), 'memory.limit_in_bytes'), String(64 * 1024));
    const r = bounded(['run', '--bundle', env.bundle(testSpec(['true'])), id]);
    t.equal(r.code, 1, 'fails');
    t.match(r.stderr, /carton-init exited before .*\(carton-init was killed by signal KILL\)/, `says why: ${r.stderr}`);
    t.notOk(fs.existsSync(path.join(env.root, id)), 'no state left');
  },
);

/** A createRuntime hook that stops the container's init (its pid is in the state on stdin). */
const stopInit = {
  path: '/bin/sh',
  args: ['sh', '-c', 'pid=$(sed -n \'s/.*"pid":\\([0-9]*\\).*/\\1/p\'); echo $pid > "$PIDFILE"; kill -STOP "$pid"'],
};

t.test('an init stopped mid-handshake fails create after the deadline, naming the step, leaving nothing', async (t) => {
  // Before: create hung forever on its read from the sync socket (status
  // null after the 15 s spawn timeout) and left a stopped init behind.
  const id = env.id('stop');
  const pidFile = path.join(env.dir, `${id}.initpid`);
  const b = env.bundle(
    testSpec(['true'], (s) => (s.hooks = { createRuntime: [{ ...stopInit, env: [`PIDFILE=${pidFile}`] }] })),
  );
  const r = bounded(['create', '--bundle', b, id], { CARTON_TEST_HANDSHAKE_TIMEOUT_MS: '2000' });
  t.equal(r.code, 1, `fails (signal ${r.signal})`);
  t.match(r.stderr, /timed out after 2s waiting for carton-init until the container was set up/, 'names the step');
  const initPid = Number(fs.readFileSync(pidFile, 'utf8'));
  t.ok(initPid > 0, 'the hook saw the init');
  env.pids.add(initPid);
  t.notOk(pidAlive(initPid), 'the stopped init was killed');
  t.notOk(fs.existsSync(path.join(env.root, id)), 'no state left');
  for (const h of fs.readdirSync('/sys/fs/cgroup'))
    t.notOk(fs.existsSync(path.join('/sys/fs/cgroup', h, 'carton', id)), `no ${h} cgroup left`);
});

t.test('a lock held by a stuck command fails the next one after the deadline', async (t) => {
  // Before: `start` waited on flock forever (status null after the 15 s timeout).
  const { id } = env.createSleeper(env.root, 'lock');
  const holder = spawn('flock', ['-x', path.join(env.root, id), 'sleep', '30'], { stdio: 'ignore' });
  try {
    await new Promise((res) => setTimeout(res, 300));
    const r = bounded(['start', id], { CARTON_TEST_HANDSHAKE_TIMEOUT_MS: '1000' });
    t.equal(r.code, 1, `fails (signal ${r.signal})`);
    t.match(r.stderr, new RegExp(`timed out after 1s waiting for the lock of container ${id}`));
    t.equal(env.state(id).status, 'created', 'untouched');
  } finally {
    holder.kill('SIGKILL');
    await new Promise((res) => holder.on('exit', res));
  }
  t.equal(env.carton(['delete', '--force', id]).code, 0);
});
