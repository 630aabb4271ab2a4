// --no-pivot: MS_MOVE + chroot instead of pivot_root leaves the old root's
// mounts in the container's mount namespace, under the new "/". The kernel
// lets a user namespace mount a fresh procfs (or sysfs) only where a fully
// visible one already exists in the mount namespace; the host's /proc, out
// of sight but still there, was one, so a container process could mount an
// unmasked procfs (runc's msMoveRoot unmounts them for the same reason).
import t from 'tap';
import { Env, testSpec } from '../helpers';

const env = new Env('no-pivot');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

// As uid 1000: `unshare -r` maps the new namespace's root onto the caller,
// and since Linux 5.12 mapping the host's uid 0 takes CAP_SETFCAP.
const spec = (args: string[]) => testSpec(args, (s) => (s.process!.user = { uid: 1000, gid: 1000 }));
const ATTEMPT =
  'unshare -mrpf sh -c "mount -t proc none /proc && echo PROC=MOUNTED"; unshare -mrnf sh -c "mount -t sysfs none /sys && echo SYSFS=MOUNTED"; echo done';

t.test('run --no-pivot: no fully visible procfs or sysfs is left for a new user namespace to copy', async (t) => {
  // Before the fix: PROC=MOUNTED and SYSFS=MOUNTED (runc 1.1.5: "mount: permission denied").
  const r = env.carton(['run', '--no-pivot', '--bundle', env.bundle(spec(['sh', '-c', ATTEMPT])), env.id()]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /done/, 'the attempts ran');
  t.notMatch(r.stdout, /PROC=MOUNTED/, 'mount -t proc fails');
  t.notMatch(r.stdout, /SYSFS=MOUNTED/, 'mount -t sysfs fails');
  t.match(r.stderr, /mount: permission denied/, 'as with runc and with pivot_root');
});

t.test("run --no-pivot: the container's own /proc is still there", async (t) => {
  const r = env.carton([
    'run',
    '--no-pivot',
    '--bundle',
    env.bundle(spec(['sh', '-c', 'cat /proc/self/stat >/dev/null && echo PROC=OK'])),
    env.id(),
  ]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /PROC=OK/);
});

t.test('with pivot_root the same attempt fails too (the control)', async (t) => {
  const r = env.carton(['run', '--bundle', env.bundle(spec(['sh', '-c', ATTEMPT])), env.id()]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /done/);
  t.notMatch(r.stdout, /MOUNTED/);
  t.match(r.stderr, /mount: permission denied/);
});
