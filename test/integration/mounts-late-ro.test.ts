// A read-only /dev (or any read-only tmpfs) in `mounts`: runc mounts it
// writable, creates the /dev nodes, links and mount points in it, and makes
// it read-only at the end (finalizeRootfs). Before the fix carton mounted it
// read-only at once and create failed with "create mount point /dev/pts:
// read-only file system". Compared with runc 1.1.5 on the same bundle.
import { spawnSync } from 'child_process';
import * as path from 'path';
import t from 'tap';
import { Env, testSpec } from '../helpers';

const env = new Env('latero');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

const script = [
  'touch /dev/x 2>&1; echo dev-rc=$?',
  'touch /run/x 2>&1; echo run-rc=$?',
  'ls -d /dev/pts/ptmx /dev/null /dev/shm /dev/mqueue /run/keep',
  'readlink /dev/fd',
  `awk '$5 == "/dev" || $5 == "/run" || $5 == "/dev/pts" { print $5, substr($6, 1, 2) }' /proc/self/mountinfo`,
].join('; ');

function bundle(): string {
  return env.bundle(
    testSpec(['sh', '-c', script], (s) => {
      const dev = s.mounts!.find((m) => m.destination === '/dev')!;
      dev.options = [...(dev.options ?? []), 'ro'];
      // a read-only tmpfs elsewhere, with a mount point created inside it
      s.mounts!.push({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'nosuid', 'mode=755'] });
      s.mounts!.push({ destination: '/run/keep', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] });
    }),
  );
}

const expected =
  [
    'touch: /dev/x: Read-only file system',
    'dev-rc=1',
    'touch: /run/x: Read-only file system',
    'run-rc=1',
    '/dev/mqueue',
    '/dev/null',
    '/dev/pts/ptmx',
    '/dev/shm',
    '/run/keep',
    '/proc/self/fd',
    '/dev ro',
    '/dev/pts rw',
    '/run ro',
  ].join('\n') + '\n';

t.test('read-only /dev and tmpfs: filled first, read-only at the end', async (t) => {
  const r = env.carton(['run', '--bundle', bundle(), env.id()]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, expected, 'carton');
});

t.test('runc 1.1.5 does the same with the same bundle', async (t) => {
  const r = spawnSync(
    'runc',
    ['--root', path.join(env.dir, 'runc-root'), 'run', '--bundle', bundle(), 'latero-runc-' + process.pid],
    { encoding: 'utf8', timeout: 30000 },
  );
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, expected, 'runc');
});
