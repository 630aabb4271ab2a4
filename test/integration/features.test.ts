// `carton features`: runtime-spec features.json that validates against the
// features schema and is true for this build and host.
import * as fs from 'fs';
import t from 'tap';
import { validateFeatures } from '../../src/spec/validate';
import { KNOWN_OPTIONS } from '../../src/plan/mount-options';
import { Env, testSpec } from '../helpers';

const env = new Env('feat');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

t.test('features prints valid features.json, four-space indented', async (t) => {
  const r = env.carton(['features']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^\{\n {4}"ociVersionMin": "1\.0\.0",\n {4}"ociVersionMax": "1\.3\.0",/);
  const f = JSON.parse(r.stdout);
  t.doesNotThrow(() => validateFeatures(f), 'validates against schemas/features.schema.json');
  t.same(f.hooks, ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
  t.same(f.mountOptions, [...KNOWN_OPTIONS].sort(), 'exactly the mount options carton parses');
  t.notOk(f.mountOptions.includes('idmap'), 'no option carton refuses');
  t.ok(f.mountOptions.includes('tmpcopyup'), 'tmpcopyup, as runc lists it');
  t.equal(f.linux.mountExtensions.idmap.enabled, false, 'idmapped mounts are not claimed (containerd acts on this)');
  t.equal(f.linux.seccomp.enabled, true);
  t.ok(f.linux.seccomp.archs.includes('SCMP_ARCH_X86_64'), 'libseccomp builds x86_64 filters');
  t.ok(f.linux.seccomp.actions.includes('SCMP_ACT_NOTIFY'));
  const last = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
  t.equal(f.linux.capabilities.length, last + 1, 'every capability of this kernel, no more');
  t.ok(f.linux.namespaces.includes('time') === fs.existsSync('/proc/self/ns/time'));
});

t.test('what features claims works: every hook kind and namespace is accepted', async (t) => {
  const f = JSON.parse(env.carton(['features']).stdout);
  const hooks = Object.fromEntries((f.hooks as string[]).map((h) => [h, [{ path: '/bin/true' }]]));
  const r = env.carton(['run', '--bundle', env.bundle(testSpec(['true'], (s) => (s.hooks = hooks))), env.id()]);
  t.equal(r.code, 0, `a config with all advertised hooks runs: ${r.stderr}`);
  const ns = (f.linux.namespaces as string[]).filter((n) => n !== 'user').map((type) => ({ type }));
  const r2 = env.carton([
    'run',
    '--bundle',
    env.bundle(testSpec(['true'], (s) => (s.linux!.namespaces = ns))),
    env.id(),
  ]);
  t.equal(r2.code, 0, `every advertised namespace but user at once: ${r2.stderr}`);
  const opts = (f.mountOptions as string[]).filter(
    (o) =>
      !/bind|remount|shared|slave|private|unbindable|^r(ro|rw|no|suid|dev|exec|atime|diratime|relatime|strictatime|symfollow|nosymfollow)/.test(
        o,
      ) && !['ro', 'mand', 'nomand', 'sync', 'dirsync'].includes(o),
  );
  for (const o of opts) {
    const r3 = env.carton([
      'run',
      '--bundle',
      env.bundle(
        testSpec(['true'], (s) =>
          s.mounts!.push({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: [o] }),
        ),
      ),
      env.id(),
    ]);
    t.equal(r3.code, 0, `tmpfs with "${o}": ${r3.stderr}`);
  }
});

t.test("checkpoint and restore exist with runc's flags and say why they cannot work", async (t) => {
  const id = env.id();
  t.equal(env.detached(['run', '-d', '--bundle', env.bundle(testSpec(['sleep', '1000'])), id]).code, 0);
  const c = env.carton([
    'checkpoint',
    '--image-path',
    `${env.dir}/img`,
    '--work-path',
    `${env.dir}/work`,
    '--leave-running',
    '--tcp-established',
    '--file-locks',
    '--manage-cgroups-mode',
    'soft',
    id,
  ]);
  t.equal(c.code, 1);
  t.equal(c.stderr.trim().split('\n').length, 1, 'one line');
  t.match(
    c.stderr,
    /^carton: checkpoint failed: (CRIU is not usable on this host: .+|checkpoint is not supported by this version of carton)$/m,
  );
  t.equal(env.state(id).status, 'running', 'the container is untouched');
  t.notOk(fs.existsSync(`${env.dir}/img`), 'no image written (no fake success)');
  const missing = env.carton(['checkpoint', 'nosuch']);
  t.match(missing.stderr, 'container does not exist');
  const noCriu = env.carton(['checkpoint', id], { globals: ['--root', env.root, '--criu', '/nonexistent/criu'] });
  t.match(
    noCriu.stderr,
    'checkpoint failed: CRIU is not usable on this host: exec: "/nonexistent/criu": executable file not found in $PATH',
  );
  const r = env.carton([
    'restore',
    '--image-path',
    `${env.dir}/img`,
    '--bundle',
    env.dir,
    '-d',
    '--pid-file',
    `${env.dir}/p`,
    '-no-subreaper',
    'r1',
  ]);
  t.equal(r.code, 1);
  t.match(r.stderr, /restore failed: /);
  t.notOk(fs.existsSync(`${env.root}/r1`), 'restore leaves no state');
  t.equal(env.carton(['delete', '--force', id]).code, 0);
});
