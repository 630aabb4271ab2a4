// Every kind of bad input gets one clear line naming the field, a non-zero
// exit, and leaves nothing behind: no state dir, cgroup, mount or process.
import * as fs from 'fs';
import * as path from 'path';
import t, { type Test } from 'tap';
import { Env, testSpec } from '../helpers';
import type { Spec } from '../../src/spec/types';

const env = new Env('bad');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

function createFails(t: Test, config: Spec | string, expect: RegExp | string, extra: string[] = []): void {
  const id = env.id();
  const r = env.detached(['create', ...extra, '--bundle', env.bundle(config), id]);
  t.not(r.code, 0, 'non-zero exit');
  t.match(r.stderr, expect);
  t.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  t.notOk(fs.existsSync(path.join(env.root, id)), 'no state directory left');
  for (const h of fs.readdirSync('/sys/fs/cgroup')) {
    t.notOk(fs.existsSync(path.join('/sys/fs/cgroup', h, 'carton', id)), `no ${h} cgroup left`);
  }
}

const cases: Array<[string, Spec | string, RegExp | string]> = [
  ['invalid JSON', '{"ociVersion": ', /config\.json: invalid JSON/],
  [
    'args not an array',
    JSON.stringify({ ...testSpec(['x']), process: { ...testSpec(['x']).process, args: 'sh' } }),
    'config.json: /process/args must be array',
  ],
  [
    'missing ociVersion',
    (() => {
      const s = testSpec(['x']) as Partial<Spec>;
      delete s.ociVersion;
      return JSON.stringify(s);
    })(),
    "config.json: / must have required property 'ociVersion'",
  ],
  [
    'bad namespace type',
    testSpec(['x'], (s) => s.linux!.namespaces!.push({ type: 'bogus' })),
    /\/linux\/namespaces\/6\/type must be equal to one of the allowed values/,
  ],
  [
    'negative uid',
    testSpec(['x'], (s) => (s.process!.user = { uid: -1, gid: 0 })),
    /\/process\/user\/uid must be >= 0/,
  ],
  [
    'missing rootfs',
    testSpec(['x'], (s) => (s.root = { path: '/nonexistent/rootfs' })),
    /config\.json: \/root\/path: rootfs \/nonexistent\/rootfs: no such file or directory/,
  ],
  [
    'masked paths without a mount namespace',
    testSpec(['x'], (s) => (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'mount'))),
    /\/linux\/maskedPaths needs a "mount" namespace \(new or joined\)/,
  ],
  [
    'unknown rlimit',
    testSpec(['x'], (s) => s.process!.rlimits!.push({ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 })),
    /rlimit/i,
  ],
  [
    'missing bind source',
    testSpec(['x'], (s) =>
      s.mounts!.push({ destination: '/m', type: 'bind', source: '/nonexistent/src', options: ['bind'] }),
    ),
    /\/mounts\/7 \(\/m\): source \/nonexistent\/src: no such file or directory/,
  ],
  [
    'hostname without uts ns',
    testSpec(['x'], (s) => (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'uts'))),
    /\/hostname needs a "uts" namespace \(new or joined\)/,
  ],
  [
    'user ns without mappings',
    testSpec(['x'], (s) => s.linux!.namespaces!.push({ type: 'user' })),
    /uidMappings and \/linux\/gidMappings are required/,
  ],
  [
    'relative hook path',
    testSpec(['x'], (s) => (s.hooks = { prestart: [{ path: 'true' }] })),
    /\/hooks\/prestart\/0\/path must be an absolute path/,
  ],
  [
    'unsupported field (execCPUAffinity)',
    testSpec(['x'], (s) => (s.process!.execCPUAffinity = { final: '0' })),
    /\/process\/execCPUAffinity is not supported by this version of carton/,
  ],
  [
    'resource the host cannot honour',
    testSpec(['x'], (s) => (s.linux!.resources = { rdma: { nodev0: { hcaHandles: 1 } } })),
    /linux\.resources\.rdma\.nodev0: /,
  ],
  [
    'swappiness out of range',
    testSpec(['x'], (s) => (s.linux!.resources = { memory: { swappiness: 101 } })),
    /linux\.resources\.memory\.swappiness: invalid value:101/,
  ],
  [
    'executable not in PATH',
    testSpec(['no-such-binary']),
    'exec: "no-such-binary": executable file not found in $PATH',
  ],
  [
    'absolute executable missing',
    testSpec(['/nonexistent']),
    'exec: "/nonexistent": stat /nonexistent: no such file or directory',
  ],
  [
    'bad mount type (init fails mid-setup)',
    testSpec(['x'], (s) => s.mounts!.push({ destination: '/m', type: 'nosuchfs', source: 'x' })),
    /mount .*\/m.*: no such device/,
  ],
  [
    'join a namespace that does not exist',
    testSpec(
      ['x'],
      (s) =>
        (s.linux!.namespaces = s.linux!.namespaces!.map((n) =>
          n.type === 'network' ? { type: 'network', path: '/proc/999999999/ns/net' } : n,
        )),
    ),
    /\/proc\/999999999\/ns\/net: no such file or directory/,
  ],
  [
    'rlimit above the hard limit the host allows',
    testSpec(['x'], (s) => s.process!.rlimits!.push({ type: 'RLIMIT_NPROC', soft: 1e15, hard: 1e15 })),
    /setrlimit RLIMIT_NPROC: operation not permitted/,
  ],
  [
    'systemd cgroups path without --systemd-cgroup',
    testSpec(['x'], (s) => (s.linux!.cgroupsPath = 'system.slice:carton:x')),
    /needs --systemd-cgroup/,
  ],
];

for (const [name, config, expect] of cases) t.test(name, async (t) => createFails(t, config, expect));

t.test('console socket without a terminal, terminal without a socket (runc wording)', async (t) => {
  createFails(t, testSpec(['x']), 'cannot use console socket if runc will not detach or allocate tty', [
    '--console-socket',
    '/nonexistent.sock',
  ]);
  createFails(
    t,
    testSpec(['x'], (s) => (s.process!.terminal = true)),
    'cannot allocate tty if runc will detach without setting console socket',
  );
  createFails(
    t,
    testSpec(['x'], (s) => (s.process!.terminal = true)),
    /--console-socket \/nonexistent\.sock: connect/,
    ['--console-socket', '/nonexistent.sock'],
  );
});

t.test('missing bundle, bad id, existing id', async (t) => {
  const r = env.detached(['create', '--bundle', '/nonexistent-bundle', env.id()]);
  t.equal(r.code, 1);
  t.match(r.stderr, 'open /nonexistent-bundle/config.json: no such file or directory');
  const bad = env.detached(['create', '--bundle', env.bundle(testSpec(['true'])), 'a/b']);
  t.equal(bad.code, 1);
  t.match(bad.stderr, 'invalid container id format: a/b');
  const id = env.id();
  const b = env.bundle(testSpec(['sleep', '100']));
  t.equal(env.detached(['create', '--bundle', b, id]).code, 0);
  const dup = env.detached(['create', '--bundle', b, id]);
  t.equal(dup.code, 1);
  t.match(dup.stderr, `container with id exists: ${id}`);
  t.equal(env.state(id).status, 'created', 'the existing container is untouched');
  t.equal(env.carton(['delete', id]).code, 0);
});

t.test('--log with --log-format json writes one JSON line and prints the error', async (t) => {
  const log = path.join(env.dir, 'log.json');
  fs.writeFileSync(log, '{"level":"info","msg":"earlier","time":"2026-01-01T00:00:00Z"}\n');
  const r = env.carton(['state', 'nosuch'], { globals: ['--root', env.root, '--log', log, '--log-format', 'json'] });
  t.equal(r.code, 1);
  t.equal(r.stderr, 'container does not exist\n', 'plain text on stderr');
  const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
  t.equal(lines.length, 2, 'appended');
  const rec = JSON.parse(lines[1] ?? 'null') as Record<string, string>;
  t.same(Object.keys(rec), ['level', 'msg', 'time']);
  t.equal(rec.level, 'error');
  t.equal(rec.msg, 'container does not exist');
});
