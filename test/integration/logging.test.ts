// --log/--log-format json as containerd and podman parse it, and --debug's
// per-phase timing trace, which reaches into carton-init (mounts, pivot).
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { Env, testSpec } from '../helpers';

const env = new Env('log');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

t.test('json log: one object per line, appended; errors to the file and to stderr', async (t) => {
  const log = path.join(env.dir, 'log.json');
  const g = ['--root', env.root, '--log', log, '--log-format', 'json'];
  const a = env.carton(['state', 'nosuch'], { globals: g });
  t.equal(a.code, 1);
  t.equal(a.stderr, 'container does not exist\n', 'plain text on stderr too (conmon reads it)');
  const b = env.carton(['exec', 'nosuch', 'true'], { globals: g });
  t.equal(b.code, 255);
  const lines = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
  t.equal(lines.length, 2, 'appended, one line each');
  const recs = lines.map((l) => JSON.parse(l));
  t.same(Object.keys(recs[0]), ['level', 'msg', 'time']);
  t.match(recs, [
    { level: 'error', msg: 'container does not exist', time: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/ },
    { level: 'error', msg: 'exec failed: container does not exist' },
  ]);
  t.equal(env.carton(['run', '--bundle', env.bundle(testSpec(['true'])), env.id()], { globals: g }).code, 0);
  t.equal(
    fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).length,
    2,
    'nothing logged for a success at the default level',
  );
});

t.test("--debug traces every phase, init's included, in order", async (t) => {
  const log = path.join(env.dir, 'debug.json');
  const r = env.carton(['run', '--bundle', env.bundle(testSpec(['true'])), env.id()], {
    globals: ['--root', env.root, '--log', log, '--log-format', 'json', '--debug'],
  });
  t.equal(r.code, 0, r.stderr);
  const phases = fs
    .readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { level: string; msg: string })
    .filter((x) => x.level === 'debug')
    .map((x) => /^phase (.+) at ([\d.]+)ms \(cpu [\d.]+\+[\d.]+ms\)$/.exec(x.msg))
    .filter((m) => m !== null);
  const names = phases.map((m) => m[1]);
  t.same(names, [
    'validate',
    'cgroup',
    'plan',
    'spawn init',
    'namespaces',
    'mounts',
    'pivot',
    'init ready',
    'state written',
    'started',
    'exited',
    'deleted',
  ]);
  const times = phases.map((m) => Number(m[2]));
  t.same(
    times,
    [...times].sort((a, b) => a - b),
    'times only grow',
  );
  const id = env.id();
  t.equal(env.detached(['run', '-d', '--bundle', env.bundle(testSpec(['sleep', '1000'])), id]).code, 0);
  const e = env.carton(['exec', id, 'true'], { globals: ['--root', env.root, '--debug'] });
  t.equal(e.code, 0);
  for (const p of ['plan', 'spawn init', 'namespaces', 'exec', 'exited'])
    t.match(e.stderr, new RegExp(`msg="phase ${p} at [\\d.]+ms \\(cpu `), `exec: ${p}`);
  t.equal(env.carton(['delete', '--force', id]).code, 0);
});
