// The six OCI hooks through the real CLI: each one's namespace, moment and
// stdin (the state JSON), args/env/timeout, and the failure semantics of
// runtime.md's lifecycle (a failing prestart/createRuntime/createContainer/
// startContainer/poststart stops the container; poststop only warns).
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { Env, ROOTFS, testSpec } from '../helpers';
import type { Hook, Spec } from '../../src/spec/types';

const env = new Env('hooks');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

const rootfs = fs.realpathSync(ROOTFS);
const hostMnt = fs.readlinkSync('/proc/self/ns/mnt');
const hostPidNs = fs.readlinkSync('/proc/self/ns/pid');

/** A dir the container sees as /out (bind, rw) and the host as `dir`. */
function outDir(): string {
  const d = path.join(env.dir, `out-${env.id('o')}`);
  fs.mkdirSync(d);
  return d;
}

/**
 * A hook recording, into <dir>/<name>.*: its stdin, its mount and pid
 * namespaces, and, for the container's pid from the state, that pid's mount
 * namespace and whether the rootfs is still mounted at its host path
 * (i.e. before pivot_root).
 */
function recorder(name: string, dir: string, inContainer = false): Hook {
  // In the container's pid namespace the state's pid is 1; /proc there is
  // still the host's until pivot_root, so look at ourselves instead.
  const mi = inContainer ? '/proc/self/mountinfo' : '/proc/$pid/mountinfo';
  const script = [
    `cat > "$D/${name}.stdin"`,
    `readlink /proc/self/ns/mnt > "$D/${name}.mnt"`,
    `readlink /proc/self/ns/pid > "$D/${name}.pidns"`,
    `pid=$(sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p' "$D/${name}.stdin")`,
    `[ -n "$pid" ] && readlink /proc/$pid/ns/mnt > "$D/${name}.cmnt"`,
    `[ -n "$pid" ] && grep -c " $R/proc " ${mi} > "$D/${name}.prepivot"`,
    'true',
  ]
    .filter(Boolean)
    .join('; ');
  return { path: '/bin/sh', args: ['sh', '-c', script], env: [`D=${dir}`, `R=${rootfs}`] };
}

function read(dir: string, f: string): string {
  return fs.readFileSync(path.join(dir, f), 'utf8').trim();
}

function withOut(dir: string, args: string[], hooks: Spec['hooks']): Spec {
  return testSpec(args, (s) => {
    s.mounts!.push({ destination: '/out', type: 'bind', source: dir, options: ['rbind', 'rw'] });
    s.hooks = hooks;
  });
}

t.test('each hook runs in its namespace, at its moment, with the state on stdin', async (t) => {
  const dir = outDir();
  // startContainer runs inside the container (path resolves there): it writes /out.
  const start: Hook = {
    path: '/bin/sh',
    args: [
      'sh',
      '-c',
      'cat > /out/startContainer.stdin; readlink /proc/self/ns/mnt > /out/startContainer.mnt; id -u > /out/startContainer.uid',
    ],
  };
  const spec = withOut(dir, ['sh', '-c', 'cat /out/startContainer.stdin > /out/process-saw-start; sleep 1000'], {
    prestart: [recorder('prestart', dir)],
    createRuntime: [recorder('createRuntime', dir)],
    createContainer: [recorder('createContainer', dir, true)],
    startContainer: [start],
    poststart: [recorder('poststart', dir)],
    poststop: [recorder('poststop', dir)],
  });
  spec.annotations = { 'org.example.k': 'v' };
  const b = env.bundle(spec);
  const id = env.id();
  const c = env.detached(['create', '--bundle', b, id]);
  t.equal(c.code, 0, c.stderr);
  const pid = env.state(id).pid;
  const containerMnt = fs.readlinkSync(`/proc/${pid}/ns/mnt`);

  for (const h of ['prestart', 'createRuntime']) {
    const st = JSON.parse(read(dir, `${h}.stdin`));
    t.same(
      st,
      { ociVersion: '1.3.0', id, status: 'creating', pid, bundle: b, annotations: { 'org.example.k': 'v' } },
      `${h}: state on stdin, host pid`,
    );
    t.equal(read(dir, `${h}.mnt`), hostMnt, `${h} runs in the runtime's mount namespace`);
    t.equal(read(dir, `${h}.cmnt`), containerMnt, `${h}: the container's namespaces exist`);
    t.equal(read(dir, `${h}.prepivot`), '1', `${h}: mounts are done, pivot_root is not`);
  }
  const cc = JSON.parse(read(dir, 'createContainer.stdin'));
  t.equal(cc.status, 'creating');
  t.equal(cc.pid, 1, 'createContainer: the pid as seen in the container');
  t.equal(read(dir, 'createContainer.mnt'), containerMnt, "createContainer runs in the container's mount namespace");
  t.not(read(dir, 'createContainer.pidns'), hostPidNs, 'and its pid namespace');
  t.equal(read(dir, 'createContainer.prepivot'), '1', 'createContainer: before pivot_root (host path resolved)');
  t.notOk(fs.existsSync(path.join(dir, 'startContainer.stdin')), 'startContainer has not run at create');
  t.notOk(fs.existsSync(path.join(dir, 'poststart.stdin')), 'poststart has not run at create');

  const s = env.carton(['start', id]);
  t.equal(s.code, 0, s.stderr);
  const sc = JSON.parse(read(dir, 'startContainer.stdin'));
  t.same([sc.status, sc.pid], ['created', 1], 'startContainer: status created, container pid');
  t.equal(read(dir, 'startContainer.mnt'), containerMnt, 'startContainer runs in the container');
  for (let i = 0; i < 100 && !fs.existsSync(path.join(dir, 'process-saw-start')); i++)
    await new Promise((r) => setTimeout(r, 20));
  t.ok(fs.existsSync(path.join(dir, 'process-saw-start')), 'the process ran after startContainer');
  const ps = JSON.parse(read(dir, 'poststart.stdin'));
  t.same([ps.status, ps.pid], ['running', pid], 'poststart: running, host pid');
  t.equal(read(dir, 'poststart.mnt'), hostMnt, 'poststart in the runtime namespace');
  t.notMatch(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /^carton-init/, "poststart ran after the process exec'd");
  t.notOk(fs.existsSync(path.join(dir, 'poststop.stdin')), 'no poststop before delete');

  t.equal(env.carton(['delete', '--force', id]).code, 0);
  const pst = JSON.parse(read(dir, 'poststop.stdin'));
  t.same([pst.status, pst.id, pst.pid], ['stopped', id, undefined], 'poststop: stopped, no pid');
  t.equal(read(dir, 'poststop.mnt'), hostMnt, 'poststop in the runtime namespace');
  t.notOk(fs.existsSync(path.join(env.root, id)), 'deleted before poststop ran');
});

t.test('args, env and the runtime environment', async (t) => {
  const dir = outDir();
  const hook: Hook = {
    path: '/bin/sh',
    args: ['my-hook', '-c', 'tr "\\0" " " < /proc/$$/cmdline > "$D/argv"; env | sort > "$D/env"', 'x'],
    env: [`D=${dir}`, 'K=V'],
  };
  const r = env.carton(['run', '--bundle', env.bundle(withOut(dir, ['true'], { prestart: [hook] })), env.id()]);
  t.equal(r.code, 0, r.stderr);
  t.match(read(dir, 'argv'), /^my-hook -c /, 'argv[0] is args[0]');
  t.match(read(dir, 'env'), /^K=V$/m);
  t.notMatch(read(dir, 'env'), /^PATH=/m, 'env replaces the environment');
});

t.test('a failing hook before the process runs aborts create and leaves nothing, but poststop runs', async (t) => {
  for (const kind of ['prestart', 'createRuntime', 'createContainer'] as const) {
    const dir = outDir();
    const fail: Hook = { path: '/bin/sh', args: ['sh', '-c', 'echo out-text; echo boom >&2; exit 3'] };
    const id = env.id();
    const r = env.detached([
      'create',
      '--bundle',
      env.bundle(
        withOut(dir, ['true'], { [kind]: [recorder('ok', dir), fail], poststop: [recorder('poststop', dir)] }),
      ),
      id,
    ]);
    t.equal(r.code, 1, `${kind}: create fails`);
    t.match(
      r.stderr,
      `error running ${kind} hook #1: error running hook: exit status 3, stdout: out-text , stderr: boom`,
    );
    t.notOk(fs.existsSync(path.join(env.root, id)), `${kind}: no state left`);
    for (const h of fs.readdirSync('/sys/fs/cgroup'))
      t.notOk(fs.existsSync(path.join('/sys/fs/cgroup', h, 'carton', id)), `${kind}: no ${h} cgroup`);
    t.ok(fs.existsSync(path.join(dir, 'ok.stdin')), `${kind}: the hook before the failing one ran`);
    t.equal(JSON.parse(read(dir, 'poststop.stdin')).status, 'stopped', `${kind}: poststop ran`);
  }
});

t.test('a hook past its timeout is killed and reported', async (t) => {
  const id = env.id();
  const r = env.detached([
    'create',
    '--bundle',
    env.bundle(
      testSpec(
        ['true'],
        (s) => (s.hooks = { createRuntime: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] }),
      ),
    ),
    id,
  ]);
  t.equal(r.code, 1);
  t.match(r.stderr, 'error running createRuntime hook #0: hook ran past specified timeout of 1.0s');
  const r2 = env.detached([
    'create',
    '--bundle',
    env.bundle(
      testSpec(
        ['true'],
        (s) => (s.hooks = { createContainer: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] }),
      ),
    ),
    env.id(),
  ]);
  t.equal(r2.code, 1);
  t.match(r2.stderr, 'error running createContainer hook #0: hook ran past specified timeout of 1.0s');
  t.notOk(fs.existsSync(path.join(env.root, id)));
});

t.test('a failing startContainer hook fails start and stops the container', async (t) => {
  const id = env.id();
  const spec = testSpec(
    ['sleep', '1000'],
    (s) => (s.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo nope >&2; exit 4'] }] }),
  );
  t.equal(env.detached(['create', '--bundle', env.bundle(spec), id]).code, 0);
  const s = env.carton(['start', id]);
  t.equal(s.code, 1);
  t.match(s.stderr, 'error running startContainer hook #0: error running hook: exit status 4, stdout: , stderr: nope');
  t.equal(env.state(id).status, 'stopped');
  t.equal(env.carton(['delete', id]).code, 0);
});

t.test('a failing poststart hook fails start and stops the container (runtime.md step 9)', async (t) => {
  const id = env.id();
  const spec = testSpec(['sleep', '1000'], (s) => (s.hooks = { poststart: [{ path: '/bin/false' }] }));
  t.equal(env.detached(['create', '--bundle', env.bundle(spec), id]).code, 0);
  const s = env.carton(['start', id]);
  t.equal(s.code, 1);
  t.match(s.stderr, 'error running poststart hook #0: error running hook: exit status 1');
  for (let i = 0; i < 100 && env.state(id).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(env.state(id).status, 'stopped');
  t.equal(env.carton(['delete', id]).code, 0);
});

t.test('a failing poststop hook is a warning; delete completes and the next hooks run', async (t) => {
  const dir = outDir();
  const id = env.id();
  const log = path.join(env.dir, `${id}.log`);
  const spec = withOut(dir, ['sleep', '1000'], { poststop: [{ path: '/bin/false' }, recorder('poststop2', dir)] });
  t.equal(env.detached(['run', '-d', '--bundle', env.bundle(spec), id]).code, 0);
  const d = env.carton(['delete', '--force', id], {
    globals: ['--root', env.root, '--log', log, '--log-format', 'json'],
  });
  t.equal(d.code, 0, d.stderr);
  t.notOk(fs.existsSync(path.join(env.root, id)));
  const lines = fs
    .readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.match(lines, [{ level: 'warning', msg: /error running poststop hook #0: error running hook: exit status 1/ }]);
  t.ok(fs.existsSync(path.join(dir, 'poststop2.stdin')), 'the second poststop hook still ran');
});

t.test('hook paths must be absolute', async (t) => {
  const r = env.detached([
    'create',
    '--bundle',
    env.bundle(testSpec(['true'], (s) => (s.hooks = { prestart: [{ path: 'true' }] }))),
    env.id(),
  ]);
  t.equal(r.code, 1);
  t.match(r.stderr, 'config.json: /hooks/prestart/0/path must be an absolute path, got "true"');
});
