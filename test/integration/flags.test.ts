// create/run flags beyond the basics: --preserve-fds, the session keyring
// (and --no-new-keyring), and `carton spec`.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { CARTON, Env, testSpec } from '../helpers';

const env = new Env('flags');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

t.test('--preserve-fds N passes fds 3..3+N-1 and nothing else', async (t) => {
  const extra = path.join(env.dir, 'extra');
  fs.writeFileSync(extra, 'from-fd-3\n');
  const fd = fs.openSync(extra, 'r');
  // The glob lists /proc/self/fd through a directory fd of its own, which
  // shows up as the highest number: 3 without preserved fds, 4 with one.
  const b = env.bundle(testSpec(['sh', '-c', 'cat <&3; cd /proc/self/fd && echo *']));
  const run = (n: number) =>
    spawnSync(CARTON, ['--root', env.root, 'run', '--preserve-fds', String(n), '--bundle', b, env.id()], {
      stdio: ['ignore', 'pipe', 'pipe', fd],
      encoding: 'utf8',
    });
  const r = run(1);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'from-fd-3\n0 1 2 3 4\n', 'fd 3 arrives and no other fd leaks into the container');
  const r0 = run(0);
  t.notMatch(r0.stdout, /from-fd-3/, 'without --preserve-fds fd 3 is not passed');
  t.equal(r0.stdout, '0 1 2 3\n', "and the container has only 0-2 (3 is the glob's)");
  fs.closeSync(fd);
});

t.test('each container joins a new session keyring unless --no-new-keyring', async (t) => {
  const id = env.id();
  // /proc/keys is in the default maskedPaths; unmask it to look.
  const unmasked = (args: string[]) =>
    testSpec(args, (s) => (s.linux!.maskedPaths = s.linux!.maskedPaths!.filter((p) => p !== '/proc/keys')));
  const r = env.carton(['run', '--bundle', env.bundle(unmasked(['sh', '-c', 'cat /proc/keys']), 'k1'), id]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, new RegExp(`keyring\\s+_ses\\.${id.replace(/\./g, '\\.')}:`), 'a keyring named _ses.<id>');
  // Other containers' keyrings may be visible (same uid); only this id's matters.
  const id2 = env.id();
  const r2 = env.carton([
    'run',
    '--no-new-keyring',
    '--bundle',
    env.bundle(unmasked(['sh', '-c', 'cat /proc/keys']), 'k2'),
    id2,
  ]);
  t.equal(r2.code, 0, r2.stderr);
  t.notMatch(r2.stdout, `_ses.${id2}:`, 'no new keyring with --no-new-keyring');
});

t.test('spec writes a valid runc-style config, refuses to overwrite, and --rootless maps the caller', async (t) => {
  const dir = path.join(env.dir, 'specb');
  fs.mkdirSync(dir);
  t.equal(env.carton(['spec', '--bundle', dir]).code, 0, 'spec');
  const spec = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  t.equal(spec.ociVersion, '1.3.0', 'ociVersion');
  t.same(spec.process.args, ['sh']);
  t.equal(spec.root.path, 'rootfs', 'root.path');
  const again = env.carton(['spec', '--bundle', dir]);
  t.equal(again.code, 1, 'no overwrite');
  t.match(again.stderr, 'File config.json exists. Remove it first');
  // The generated spec runs as is once a rootfs is there (terminal off: no tty here).
  fs.symlinkSync(testSpec([]).root!.path, path.join(dir, 'rootfs'));
  spec.process.terminal = false;
  spec.process.args = ['sh', '-c', 'echo ran-$(hostname)'];
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec));
  const r = env.carton(['run', '--bundle', dir, env.id()]);
  t.equal(r.code, 0, `the generated spec runs: ${r.stderr}`);
  t.equal(r.stdout, 'ran-carton\n', 'it printed its hostname');
  const rl = path.join(env.dir, 'rootless');
  fs.mkdirSync(rl);
  t.equal(env.carton(['spec', '--rootless', '--bundle', rl]).code, 0, 'spec --rootless');
  const rs = JSON.parse(fs.readFileSync(path.join(rl, 'config.json'), 'utf8'));
  t.ok(rs.linux.namespaces.some((n: { type: string }) => n.type === 'user'));
  t.notOk(rs.linux.namespaces.some((n: { type: string }) => n.type === 'network'));
  t.same(rs.linux.uidMappings, [{ containerID: 0, hostID: 0, size: 1 }]);
  t.notOk(rs.linux.resources);
});

// With a systemd PID 1, test/integration/systemd.test.ts has the driver at work.
const booted = fs.existsSync('/run/systemd/system');
t.test(
  '--systemd-cgroup without a systemd PID 1 fails with the reason and leaves nothing',
  { skip: booted && 'systemd is PID 1 here' },
  async (t) => {
    const id = env.id();
    const r = env.carton(['--systemd-cgroup', 'create', '--bundle', env.bundle(testSpec(['true']), 'sd'), id]);
    t.not(r.code, 0);
    t.equal(
      r.stderr,
      'carton: --systemd-cgroup: systemd is not running as PID 1 on this host (no /run/systemd/system); use the cgroupfs driver\n',
    );
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    t.notOk(fs.existsSync(path.join(env.root, id)), 'no state dir');
  },
);
