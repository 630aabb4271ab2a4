// Namespaces joined by path, no mount namespace at all, and the rootfs's
// propagation: the runtime-spec validation suite's linux_ns_path,
// linux_ns_itype and linux_rootfs_propagation (see test/conformance/), and
// Kubernetes' Bidirectional volumes (containerd's CRI sets "rshared").
//
// Before the fix: joining a mount namespace failed with "/linux/namespaces
// must include a new "mount" namespace", a hostname in a joined uts namespace
// with "/hostname needs a new "uts" namespace", no mount namespace with the
// first error, "unbindable" with "bind rootfs ...: invalid argument", and
// "rshared" was taken as rslave, so a mount made inside never reached the host.
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t, { type Test } from 'tap';
import { Env, ROOTFS, testSpec } from '../helpers';
import type { Spec } from '../../src/spec/types';

const env = new Env('nsroot');
const hostMounts: string[] = [];
const helpers: ChildProcess[] = [];

function mountpoints(): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '');
}

function umountAll(mp: string): void {
  for (let i = 0; i < 8 && mountpoints().includes(mp); i++) spawnSync('umount', ['-l', mp]);
}

t.teardown(() => {
  for (const h of helpers) {
    try {
      if (h.pid) process.kill(-h.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const mp of hostMounts.reverse()) umountAll(mp);
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

function withSysAdmin(s: Spec): void {
  const c = s.process!.capabilities!;
  for (const set of [c.bounding!, c.effective!, c.permitted!]) set.push('CAP_SYS_ADMIN');
}

function nsLink(pid: number | 'self', ns: string): string {
  return fs.readlinkSync(`/proc/${pid}/ns/${ns}`);
}

t.test('joins a mount and a uts namespace by path, and sets the hostname in the joined uts namespace', async (t) => {
  const h = spawn('unshare', ['--mount', '--uts', '--fork', 'sleep', '1000'], { detached: true, stdio: 'ignore' });
  helpers.push(h);
  const pid = h.pid!;
  for (let i = 0; i < 200 && nsLink(pid, 'mnt') === nsLink('self', 'mnt'); i++)
    await new Promise((r) => setTimeout(r, 25));
  const mnt = nsLink(pid, 'mnt'),
    uts = nsLink(pid, 'uts');
  t.not(mnt, nsLink('self', 'mnt'), 'the helper has a mount namespace of its own');
  const spec = testSpec(
    ['sh', '-c', 'hostname; readlink /proc/self/ns/mnt; readlink /proc/self/ns/uts; ls /bin/busybox'],
    (s) => {
      s.hostname = 'joined-7';
      s.linux!.namespaces = s.linux!.namespaces!.map((n) =>
        n.type === 'mount'
          ? { type: 'mount', path: `/proc/${pid}/ns/mnt` }
          : n.type === 'uts'
            ? { type: 'uts', path: `/proc/${pid}/ns/uts` }
            : n,
      );
    },
  );
  const r = env.carton(['run', '--bundle', env.bundle(spec), env.id()]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, `joined-7\n${mnt}\n${uts}\n/bin/busybox\n`, 'the container ran in both namespaces, in its rootfs');
  t.equal(
    spawnSync('nsenter', ['-t', String(pid), '-u', 'hostname'], { encoding: 'utf8' }).stdout.trim(),
    'joined-7',
    'the hostname was set in the joined namespace',
  );
});

t.test(
  'no mount namespace: chroot into the rootfs (runc), its mounts made in ours and gone after delete',
  async (t) => {
    // A copy of its own: these mounts are visible host-wide while it lives.
    const rootfs = path.join(env.dir, 'rootfs-nomnt');
    spawnSync('cp', ['-a', ROOTFS, rootfs]);
    const spec = testSpec(['sleep', '1000'], (s) => {
      s.root = { path: rootfs };
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'mount');
      s.linux!.maskedPaths = [];
      s.linux!.readonlyPaths = [];
    });
    const id = env.id();
    const c = env.detached(['create', '--bundle', env.bundle(spec), id]);
    t.equal(c.code, 0, c.stderr);
    const { pid } = env.state(id);
    t.equal(nsLink(pid, 'mnt'), nsLink('self', 'mnt'), 'the container shares our mount namespace');
    t.equal(fs.readlinkSync(`/proc/${pid}/root`), rootfs, 'and is chroot()ed into its rootfs');
    t.ok(mountpoints().includes(path.join(rootfs, 'proc')), 'its /proc is mounted in the rootfs, in our namespace');
    t.ok(fs.existsSync(path.join(rootfs, 'dev', 'null')), 'its /dev is set up');
    const d = env.carton(['delete', '--force', id]);
    t.equal(d.code, 0, d.stderr);
    t.same(
      mountpoints().filter((m) => m.startsWith(rootfs + '/')),
      [],
      'delete detached every mount it made',
    );
    t.match(
      env.carton(['run', '--no-pivot', '--bundle', env.bundle(spec), env.id()]).stderr,
      /--no-pivot: the config has no "mount" namespace/,
    );
  },
);

for (const prop of ['unbindable', 'runbindable']) {
  t.test(`rootfsPropagation ${prop}: "/" cannot be bound inside, and the rootfs bind still works`, async (t) => {
    const spec = testSpec(
      ['sh', '-c', 'mount --bind / /tmp 2>&1; echo rc=$?; awk \'$5 == "/"\' /proc/self/mountinfo'],
      (s) => {
        s.linux!.rootfsPropagation = prop;
        withSysAdmin(s);
      },
    );
    const r = env.carton(['run', '--bundle', env.bundle(spec), env.id()]);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /Invalid argument\nrc=[1-9]/, 'the bind of "/" fails with EINVAL');
    t.match(r.stdout, / unbindable( |$)/m, '"/" is unbindable');
  });
}

// A host directory made shared (as kubelet makes a Bidirectional volume's
// source), bound into the container with "rbind" + `option`: a tmpfs mounted
// there inside must appear on the host exactly when both are shared.
function bidirectional(t: Test, runtime: string, rootProp: string, option: string): boolean {
  const vol = fs.mkdtempSync(path.join(env.dir, 'vol-'));
  fs.mkdirSync(path.join(vol, 'inner'));
  t.equal(spawnSync('mount', ['--bind', vol, vol]).status, 0, 'bind the volume onto itself');
  hostMounts.push(vol);
  t.equal(spawnSync('mount', ['--make-shared', vol]).status, 0, 'make it shared');
  const spec = testSpec(['sh', '-c', 'mount -t tmpfs -o size=1m bidir /tmp/vol/inner && echo mounted'], (s) => {
    s.linux!.rootfsPropagation = rootProp;
    s.root!.readonly = false;
    s.mounts!.push({ destination: '/tmp/vol', type: 'bind', source: vol, options: ['rbind', option] });
    withSysAdmin(s);
  });
  const bundle = env.bundle(spec);
  const id = env.id();
  const r =
    runtime === 'carton'
      ? env.carton(['run', '--bundle', bundle, id])
      : (({ status, stdout, stderr }) => ({ code: status, stdout, stderr }))(
          spawnSync('runc', ['--root', path.join(env.dir, 'runc-root'), 'run', '--bundle', bundle, id], {
            encoding: 'utf8',
            timeout: 30000,
          }),
        );
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /mounted/);
  const inner = path.join(vol, 'inner');
  const seen = mountpoints().includes(inner);
  umountAll(inner);
  return seen;
}

for (const [root, option, shared] of [
  ['rshared', 'rshared', true],
  ['shared', 'rshared', true],
  ['rslave', 'rslave', false],
  ['rprivate', 'rprivate', false],
] as const) {
  t.test(
    `rootfsPropagation ${root} + bind ${option}: a mount made inside ${shared ? 'appears' : 'does not appear'} on the host`,
    async (t) => {
      t.equal(bidirectional(t, 'carton', root, option), shared, 'carton');
      if (root === 'rshared') t.equal(bidirectional(t, 'runc', root, option), shared, 'runc 1.1.5, same bundle');
    },
  );
}
