// Facts about the host must not come from the container's rootfs. Without a
// /proc mount in the config, /proc is whatever the image put there; init
// used to read /proc/sys/kernel/cap_last_cap and /proc/self/setgroups after
// pivot_root (and for exec, in the container), so an image decided how much
// of the bounding set was dropped and whether setgroups(2) ran at all.
// The real procfs goes to /realproc so the process can report what it got.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { CARTON, Env, statusMap, testSpec } from '../helpers';
import { rootfsCopy } from './helpers';
import type { Spec } from '../../src/spec/types';

const env = new Env('host-facts');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

/** The busybox rootfs with a fake /proc: cap_last_cap "0", setgroups "deny". */
function trappedRootfs(): string {
  const r = rootfsCopy(env, `rootfs-fake-proc-${env.id('r')}`);
  fs.mkdirSync(path.join(r, 'proc', 'sys', 'kernel'), { recursive: true });
  fs.writeFileSync(path.join(r, 'proc', 'sys', 'kernel', 'cap_last_cap'), '0\n');
  fs.mkdirSync(path.join(r, 'proc', 'self'), { recursive: true });
  fs.writeFileSync(path.join(r, 'proc', 'self', 'setgroups'), 'deny\n');
  fs.mkdirSync(path.join(r, 'realproc'));
  return r;
}

function trappedSpec(rootfs: string, args: string[], edit?: (s: Spec) => void): Spec {
  return testSpec(args, (s) => {
    s.root = { path: rootfs, readonly: true };
    s.mounts = s.mounts!.map((m) => (m.destination === '/proc' ? { ...m, destination: '/realproc' } : m));
    s.process!.user = { uid: 1000, gid: 1000 };
    s.process!.capabilities = { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] };
    edit?.(s);
  });
}

/** carton as a caller with supplementary groups 4242 and 4343 (a shim's, say). */
function withGroups(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('setpriv', ['--groups', '4242,4343', '--', CARTON, '--root', env.root, ...args], {
    encoding: 'utf8',
    timeout: 30000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

t.test('an image\'s /proc/sys/kernel/cap_last_cap "0" does not shrink the bounding-set drop', async (t) => {
  // Before the fix: CapBnd 000001fffefffffe (only cap 0 dropped; 24 is not in this host's set): a uid-1000
  // process with no caps kept almost the whole bounding set.
  const r = env.carton([
    'run',
    '--bundle',
    env.bundle(trappedSpec(trappedRootfs(), ['cat', '/realproc/self/status'])),
    env.id(),
  ]);
  t.equal(r.code, 0, r.stderr);
  const st = statusMap(r.stdout);
  t.equal(st.CapBnd, '0000000000000000', 'the whole bounding set is dropped');
  t.equal(st.CapPrm, '0000000000000000');
});

t.test('an image\'s /proc/self/setgroups "deny" does not skip setgroups: the caller\'s groups are gone', async (t) => {
  // Before the fix: "Groups: 4242 4343", the groups of whoever ran carton.
  const r = withGroups([
    'run',
    '--bundle',
    env.bundle(
      trappedSpec(trappedRootfs(), ['cat', '/realproc/self/status'], (s) => {
        s.process!.user!.additionalGids = [7];
      }),
    ),
    env.id(),
  ]);
  t.equal(r.code, 0, r.stderr);
  t.equal(statusMap(r.stdout).Groups, '7', "exactly the config's additionalGids");
});

t.test('exec into a container with a fake /proc: same bounding set and groups rules', async (t) => {
  // exec's init is in the container's mount namespace from the start, so it
  // read the fake files too. Before the fix: CapBnd 000001fffefffffe and
  // Groups 4242 4343.
  const id = env.id();
  const c = env.detached(['run', '-d', '--bundle', env.bundle(trappedSpec(trappedRootfs(), ['sleep', '1000'])), id]);
  t.equal(c.code, 0, c.stderr);
  env.state(id);
  const r = withGroups(['exec', '-u', '1000:1000', id, 'cat', '/realproc/self/status']);
  t.equal(r.code, 0, r.stderr);
  const st = statusMap(r.stdout);
  t.equal(st.CapBnd, '0000000000000000');
  t.equal(st.Groups ?? '', '', 'no supplementary groups');
  env.carton(['delete', '--force', id]);
});
