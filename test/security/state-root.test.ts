// --root (issue 13 item 7): a state root others can write to is refused
// (whoever writes there can plant a container's state.json: a pid for
// `kill`, cgroup paths for `delete`), and a relative --root is made absolute.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { CARTON, Env, testSpec } from '../helpers';

const env = new Env('stateroot');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

function carton(args: string[], cwd = env.dir): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(CARTON, args, {
    cwd,
    encoding: 'utf8',
    timeout: 30000,
    killSignal: 'SIGKILL',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

t.test('a group- or world-writable state root is refused before anything is made in it', async (t) => {
  // Before: carton used it silently (create succeeded in a 0777 root and a
  // 1777 root; list and delete read whatever was planted there).
  for (const mode of [0o777, 0o1777, 0o770]) {
    const root = path.join(env.dir, `open-${mode.toString(8)}`);
    fs.mkdirSync(root);
    fs.chmodSync(root, mode);
    const id = env.id('open');
    const b = env.bundle(testSpec(['true']));
    const r = carton(['--root', root, 'create', '--bundle', b, id]);
    t.equal(r.code, 1, `mode ${mode.toString(8)}: create fails`);
    t.equal(
      r.stderr.trim(),
      `carton: --root ${root}: the state directory is group- or world-writable (mode ${mode.toString(8).padStart(4, '0')}); make it 0700 (chmod go-w) or use another --root`,
    );
    t.same(fs.readdirSync(root), [], 'nothing made in it');
    t.equal(carton(['--root', root, 'list']).code, 1, 'list refuses it too');
    // Had it been used (as before), the container must not outlive the test.
    fs.chmodSync(root, 0o700);
    if (fs.readdirSync(root).length) carton(['--root', root, 'delete', '--force', id]);
    fs.rmSync(root, { recursive: true, force: true });
  }
});

t.test('a relative --root is absolute from the start', async (t) => {
  // Before: `--root rel` stayed relative, so the error above (and every
  // path derived from it) named "rel/..." and depended on the cwd; now the
  // error names the absolute path, and a container made with a relative
  // root is the same container when named by its absolute root from elsewhere.
  const open = path.join(env.dir, 'relopen');
  fs.mkdirSync(open);
  fs.chmodSync(open, 0o777);
  const bad = carton(['--root', 'relopen', 'list']);
  t.match(bad.stderr, `--root ${open}:`, 'the message names the absolute path');
  fs.rmdirSync(open);

  const id = env.id('rel');
  const b = env.bundle(testSpec(['sleep', '1000']));
  const out = fs.openSync(path.join(env.dir, 'rel.out'), 'w');
  const c = spawnSync(CARTON, ['--root', 'root', 'create', '--bundle', b, id], {
    cwd: env.dir,
    stdio: ['ignore', out, out],
    timeout: 30000,
    killSignal: 'SIGKILL',
  });
  fs.closeSync(out);
  t.equal(c.status, 0, fs.readFileSync(path.join(env.dir, 'rel.out'), 'utf8'));
  const st = carton(['--root', env.root, 'state', id], '/');
  t.equal(st.code, 0, st.stderr);
  env.pids.add((JSON.parse(st.stdout) as { pid: number }).pid);
  t.equal(carton(['--root', env.root, 'delete', '--force', id], '/').code, 0);
});
