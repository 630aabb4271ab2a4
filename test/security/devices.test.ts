// linux.devices creates nodes; it never grants access to them. Access to a
// device comes only from linux.resources.devices plus runc 1.1.5's default
// allow list (c/b *:* m, null, zero, full, random, urandom, tty, ptmx,
// /dev/pts/*, tun), exactly as `runc` on this host writes devices.list.
import * as fs from 'fs';
import t from 'tap';
import { Env, testSpec } from '../helpers';
import type { Spec } from '../../src/spec/types';

const env = new Env('devices');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

const denyAll = (s: Spec) => {
  s.linux!.resources = { devices: [{ allow: false, access: 'rwm' }] };
  s.linux!.devices = [{ path: '/dev/kmsg', type: 'c', major: 1, minor: 11, fileMode: 0o666 }];
};

t.test('a linux.devices node under a deny-all rule cannot be written (v1 devices cgroup)', async (t) => {
  // Before the fix: carton appended `c 1:11 rwm` to devices.allow for the
  // node, the write succeeded ("WROTE") and devices.list ended in
  // "c 1:11 rwm". runc 1.1.5: "sh: can't create /dev/kmsg: Operation not permitted".
  const id = env.id();
  const c = env.detached(['run', '-d', '--bundle', env.bundle(testSpec(['sleep', '1000'], denyAll)), id]);
  t.equal(c.code, 0, c.stderr);
  env.state(id);
  const e = env.carton(['exec', id, 'sh', '-c', 'echo carton-devices-test > /dev/kmsg && echo WROTE']);
  t.not(e.code, 0, "the exec'd write fails");
  t.notMatch(e.stdout, /WROTE/);
  t.match(e.stderr, /can't create \/dev\/kmsg: Operation not permitted/);
  const list = fs.readFileSync(`/sys/fs/cgroup/devices/carton/${id}/devices.list`, 'utf8').trim().split('\n').sort();
  t.same(
    list,
    [
      'b *:* m',
      'c *:* m',
      'c 1:3 rwm',
      'c 1:5 rwm',
      'c 1:7 rwm',
      'c 1:8 rwm',
      'c 1:9 rwm',
      'c 10:200 rwm',
      'c 136:* rwm',
      'c 5:0 rwm',
      'c 5:2 rwm',
    ].sort(),
    "exactly runc 1.1.5's default list",
  );
  t.equal(env.carton(['delete', '--force', id]).code, 0);
});

t.test('a FIFO in linux.devices is created and adds no device rule', async (t) => {
  // Before the fix: create failed with
  // "carton: default device rules: write p 8:666 rwm to
  // /sys/fs/cgroup/devices/carton/<id>/devices.allow: invalid argument"
  // (the devices cgroup knows a, b and c only). runc 1.1.5 creates the fifo.
  const r = env.carton([
    'run',
    '--bundle',
    env.bundle(
      testSpec(['ls', '-l', '/dev/fifo1'], (s) => {
        s.linux!.devices = [{ path: '/dev/fifo1', type: 'p', major: 8, minor: 666 }];
      }),
    ),
    env.id(),
  ]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^p.* \/dev\/fifo1$/m);
});
