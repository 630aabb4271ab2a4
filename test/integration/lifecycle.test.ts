// The core lifecycle through the real CLI, on the real kernel: create, state,
// start, kill, delete, run and list, with runc's JSON shapes, pid file bytes,
// error wording and exit codes (../shared/reference/runc-compat/CLI-CONTRACT.md).
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { CARTON, Env, testSpec } from '../helpers';

const env = new Env('life');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

function sleepy(): string {
  return env.bundle(testSpec(['sleep', '1000']));
}

t.test('create -> created, start -> running, kill -> stopped, delete -> gone', async (t) => {
  const b = sleepy();
  const id = env.id();
  const pidFile = path.join(env.dir, `${id}.pid`);
  const c = env.detached(['create', '--bundle', b, '--pid-file', pidFile, id]);
  t.equal(c.code, 0, `create: ${c.stderr}`);
  const pidBytes = fs.readFileSync(pidFile, 'utf8');
  t.match(pidBytes, /^\d+$/, 'pid file holds bare digits, no newline');

  const s1 = env.state(id);
  t.equal(s1.status, 'created');
  t.equal(s1.pid, Number(pidBytes), 'state pid = pid file');
  t.same(
    Object.keys(s1),
    ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'owner'],
    'runc key order',
  );
  t.equal(s1.bundle, b);
  t.match(s1.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/, 'RFC 3339 with nanoseconds');
  t.equal(s1.owner, '', 'owner is empty in state, as runc');
  const raw = env.carton(['state', id]).stdout;
  t.notOk(raw.endsWith('\n'), 'state has no trailing newline');
  t.match(raw, /^\{\n {2}"ociVersion"/, 'two-space indent');

  // The init waits on the exec fifo: its cmdline is still carton-init.
  t.match(fs.readFileSync(`/proc/${s1.pid}/cmdline`, 'utf8'), /^carton-init/);
  t.equal(env.carton(['start', id]).code, 0);
  const s2 = env.state(id);
  t.equal(s2.status, 'running');
  t.equal(s2.pid, s1.pid);
  t.same(
    fs.readFileSync(`/proc/${s1.pid}/cmdline`, 'utf8').split('\0').slice(0, 2),
    ['sleep', '1000'],
    "the process exec'd",
  );

  const again = env.carton(['start', id]);
  t.equal(again.code, 1);
  t.match(again.stderr, 'cannot start an already running container');

  const del = env.carton(['delete', id]);
  t.equal(del.code, 1);
  t.match(del.stderr, `cannot delete container ${id} that is not stopped: running`);

  t.equal(env.carton(['kill', id, 'KILL']).code, 0);
  for (let i = 0; i < 100 && env.state(id).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
  const s3 = env.state(id);
  t.equal(s3.status, 'stopped');
  t.equal(s3.pid, 0, 'pid is 0 once stopped');

  const k = env.carton(['kill', id, 'TERM']);
  t.equal(k.code, 1);
  t.match(k.stderr, 'container not running');
  const st = env.carton(['start', id]);
  t.match(st.stderr, 'cannot start a container that has stopped');

  t.equal(env.carton(['delete', id]).code, 0);
  const gone = env.carton(['state', id]);
  t.equal(gone.code, 1);
  t.match(gone.stderr, 'container does not exist');
  t.equal(gone.stdout, '');
  t.notOk(fs.existsSync(path.join(env.root, id)), 'state dir removed');
});

t.test('kill accepts every signal spelling', async (t) => {
  // sh traps USR1 and HUP and reports them; the trap output goes to a file.
  const b = env.bundle(
    testSpec([
      'sh',
      '-c',
      'trap "echo got-USR1" USR1; trap "echo got-HUP" HUP; trap "echo got-TERM; exit 0" TERM; while :; do sleep 0.05; done',
    ]),
  );
  const id = env.id();
  const c = env.detached(['create', '--bundle', b, id]);
  t.equal(c.code, 0, c.stderr);
  t.equal(env.carton(['start', id]).code, 0);
  await new Promise((r) => setTimeout(r, 300));
  // Standard signals do not queue: a second USR1 sent before sh has run the
  // first one's trap merges with it. Wait for each trap's line before the next.
  const count = (word: string) => fs.readFileSync(c.out, 'utf8').split(word).length - 1;
  for (const [sig, word] of [
    ['USR1', 'got-USR1'],
    ['SIGHUP', 'got-HUP'],
    ['10', 'got-USR1'],
    ['sigusr1', 'got-USR1'],
  ] as const) {
    const before = count(word);
    t.equal(env.carton(['kill', id, sig]).code, 0, `kill ${sig}`);
    for (let i = 0; i < 200 && count(word) === before; i++) await new Promise((r) => setTimeout(r, 10));
  }
  const bad = env.carton(['kill', id, 'SIGNOPE']);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /unknown signal "SIGNOPE"/);
  t.equal(env.carton(['kill', id]).code, 0, 'default is SIGTERM');
  for (let i = 0; i < 100 && env.state(id).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(env.state(id).status, 'stopped');
  const out = fs.readFileSync(c.out, 'utf8');
  t.equal(out.match(/got-USR1/g)?.length, 3, 'USR1, 10 and sigusr1 delivered');
  t.match(out, /got-HUP/);
  t.match(out, /got-TERM/);
  t.equal(env.carton(['delete', id]).code, 0);
});

t.test(
  'delete of a created container kills it; --force deletes a running one; --force of a missing one succeeds',
  async (t) => {
    const id1 = env.id();
    t.equal(env.detached(['create', '--bundle', sleepy(), id1]).code, 0);
    const pid1 = env.state(id1).pid;
    t.equal(env.carton(['delete', id1]).code, 0, 'created containers delete without --force, as runc');
    t.notOk(
      fs.existsSync(`/proc/${pid1}/stat`) && !/\) [ZX] /.test(fs.readFileSync(`/proc/${pid1}/stat`, 'utf8')),
      'init gone',
    );

    const id2 = env.id();
    t.equal(env.detached(['run', '-d', '--bundle', sleepy(), id2]).code, 0);
    t.equal(env.state(id2).status, 'running');
    const f = env.carton(['delete', '--force', id2]);
    t.equal(f.code, 0, f.stderr);
    t.equal(env.carton(['state', id2]).code, 1);

    const missing = env.carton(['delete', '--force', 'nosuch']);
    t.equal(missing.code, 0, 'delete --force of a missing container is not an error');
    const missing2 = env.carton(['delete', 'nosuch']);
    t.equal(missing2.code, 1);
    t.match(missing2.stderr, 'container does not exist');
  },
);

t.test('run in the foreground returns the exit status, 128+N for a signal', async (t) => {
  const r = env.carton([
    'run',
    '--bundle',
    env.bundle(testSpec(['sh', '-c', 'echo out; echo err >&2; exit 7'])),
    env.id(),
  ]);
  t.equal(r.code, 7);
  t.equal(r.stdout, 'out\n');
  t.equal(r.stderr, 'err\n');
  // pid 1 ignores signals sent from inside its namespace, so SIGKILL comes from outside.
  const id = env.id();
  const { spawn } = await import('child_process');
  const p = spawn(CARTON, ['--root', env.root, 'run', '--bundle', sleepy(), id], { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
  for (let i = 0; i < 200 && env.carton(['state', id]).stdout.indexOf('"running"') < 0; i++)
    await new Promise((r) => setTimeout(r, 20));
  t.equal(env.carton(['kill', id, 'KILL']).code, 0);
  t.equal(await exited, 137, '128 + SIGKILL');
  t.equal(fs.readdirSync(env.root).length, 0, 'foreground run deletes the container');
  const kept = env.id();
  t.equal(env.carton(['run', '--keep', '--bundle', env.bundle(testSpec(['true'])), kept]).code, 0);
  t.equal(env.state(kept).status, 'stopped', '--keep leaves the stopped container');
  t.equal(env.carton(['delete', kept]).code, 0);
});

t.test('list: table, json, -q, and null when empty', async (t) => {
  const emptyRoot = path.join(env.dir, 'empty-root');
  const missing = env.carton(['list'], { globals: ['--root', emptyRoot] });
  t.equal(missing.code, 1, 'an explicit --root that does not exist is an error, as runc');
  t.match(missing.stderr, `open ${emptyRoot}: no such file or directory`);
  fs.mkdirSync(emptyRoot);
  const empty = env.carton(['list', '--format', 'json'], { globals: ['--root', emptyRoot] });
  t.equal(empty.stdout, 'null\n');
  const id = env.id();
  t.equal(env.detached(['create', '--bundle', sleepy(), id]).code, 0);
  const j = JSON.parse(env.carton(['list', '--format', 'json']).stdout) as Array<Record<string, unknown>>;
  const mine = j.find((x) => x.id === id)!;
  t.equal(mine.status, 'created');
  t.equal(mine.owner, 'root');
  const table = env.carton(['list']).stdout.split('\n');
  t.match(table[0], /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/);
  t.ok(table.some((l) => l.startsWith(id) && /created/.test(l)));
  t.ok(env.carton(['list', '-q']).stdout.split('\n').includes(id));
  t.equal(env.carton(['delete', id]).code, 0);
});

t.test('concurrent commands on one id are serialised', async (t) => {
  const id = env.id();
  t.equal(env.detached(['create', '--bundle', sleepy(), id]).code, 0);
  const { spawn } = await import('child_process');
  const starts = await Promise.all(
    [0, 1, 2].map(
      () =>
        new Promise<number>((resolve) => {
          const p = spawn(CARTON, ['--root', env.root, 'start', id], { stdio: 'ignore' });
          p.on('exit', (code) => resolve(code ?? -1));
        }),
    ),
  );
  t.same(starts.sort(), [0, 1, 1], 'exactly one start wins');
  t.equal(env.carton(['delete', '--force', id]).code, 0);
});

t.test('--version and usage errors', async (t) => {
  const v = env.carton(['--version'], { globals: [] });
  t.match(v.stdout, /^carton version \d+\.\d+\.\d+\ncommit: \S+\nspec: 1\.3\.0\n$/);
  const u = env.carton(['state']);
  t.equal(u.code, 1);
  t.match(u.stderr, '"state" requires exactly 1 argument(s)');
  const f = env.carton(['create', '--bogus-flag', 'x']);
  t.equal(f.code, 1);
  t.match(f.stderr, /Unknown argument/);
  t.equal(env.carton(['--rootless=false', 'list']).code, 0, '--rootless=false is accepted');
});

t.test("kill --all signals every process in the container's cgroup", async (t) => {
  // The init ignores TERM; its child does not. --all reaches both.
  const b = env.bundle(testSpec(['sh', '-c', 'trap "" TERM; sleep 1000 & echo child=$!; wait; wait']));
  const id = env.id();
  const c = env.detached(['run', '-d', '--bundle', b, id]);
  t.equal(c.code, 0, c.stderr);
  await new Promise((r) => setTimeout(r, 300));
  const pid = env.state(id).pid;
  const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  t.equal(kids.length, 1, 'one child (sleep)');
  t.equal(env.carton(['kill', '--all', id, 'KILL']).code, 0);
  for (let i = 0; i < 100 && env.state(id).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(env.state(id).status, 'stopped', 'the init got SIGKILL too');
  t.notOk(
    fs.existsSync(`/proc/${kids[0]}/stat`) && !/\) [ZX] /.test(fs.readFileSync(`/proc/${kids[0]}/stat`, 'utf8')),
    'the child is gone',
  );
  t.equal(env.carton(['delete', id]).code, 0);
});

t.test('--debug prints a per-phase timing trace', async (t) => {
  const r = env.carton(['run', '--bundle', env.bundle(testSpec(['true'])), env.id()], {
    globals: ['--root', env.root, '--debug'],
  });
  t.equal(r.code, 0, r.stderr);
  for (const p of [
    'validate',
    'cgroup',
    'plan',
    'spawn init',
    'namespaces',
    'init ready',
    'started',
    'exited',
    'deleted',
  ]) {
    t.match(
      r.stderr,
      new RegExp(`level=debug msg="phase ${p} at \\d+\\.\\dms \\(cpu \\d+\\.\\d\\+\\d+\\.\\dms\\)"`),
      p,
    );
  }
});
