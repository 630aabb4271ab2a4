// User namespaces: a bind-mount source whose path the container's root
// cannot walk (below a 0700 directory of host root, which the mapping turns
// into "nobody"). runc opens such sources in the runtime's context and mounts
// the fd; carton's stage A now does the same (open_tree, before any
// namespace), and stage B attaches what A opened.
// Before the fix: create failed with "mount .../private/data to /vol: stat
// .../private/data: permission denied". Compared with runc 1.1.5.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { Env, testSpec } from '../helpers';

const env = new Env('usernsbind');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

// <dir>/private (0700, host root) / data (0755) / hello
const priv = path.join(env.dir, 'private');
const data = path.join(priv, 'data');
fs.mkdirSync(data, { recursive: true });
fs.writeFileSync(path.join(data, 'hello'), 'hi from the host\n');
fs.chmodSync(priv, 0o700);
fs.chmodSync(data, 0o755);
fs.chmodSync(path.join(data, 'hello'), 0o644);
// the file source case: a single file below the same 0700 directory
fs.writeFileSync(path.join(priv, 'single'), 'one file\n');
fs.chmodSync(path.join(priv, 'single'), 0o644);

function bundle(): string {
  return env.bundle(
    testSpec(['sh', '-c', 'cat /tmp/vol/hello /tmp/one; touch /tmp/vol/x 2>&1; echo rc=$?'], (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.mounts!.push({ destination: '/tmp/vol', type: 'bind', source: data, options: ['rbind', 'ro'] });
      s.mounts!.push({ destination: '/tmp/one', type: 'bind', source: path.join(priv, 'single'), options: ['bind'] });
    }),
  );
}

const expected = 'hi from the host\none file\ntouch: /tmp/vol/x: Read-only file system\nrc=1\n';

t.test('bind sources the container root cannot reach are opened by the runtime', async (t) => {
  const r = env.carton(['run', '--bundle', bundle(), env.id()]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, expected);
});

t.test('runc 1.1.5 with the same bundle', async (t) => {
  const r = spawnSync(
    'runc',
    ['--root', path.join(env.dir, 'runc-root'), 'run', '--bundle', bundle(), 'usernsbind-' + process.pid],
    { encoding: 'utf8', timeout: 30000 },
  );
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, expected);
});
