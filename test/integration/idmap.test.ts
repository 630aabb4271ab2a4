// Id-mapped bind mounts (mounts[].uidMappings/gidMappings, idmap/ridmap):
// what the container sees through the mount, and, the point of the feature,
// which owner the files it creates get on the host.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { CARTON, Env, testSpec } from '../helpers';
import type { Spec } from '../../src/spec/types';

const env = new Env('idmap');
// Plain bind sources are opened by the container's init, inside its user
// namespace: it must be able to traverse the test directory.
fs.chmodSync(env.dir, 0o711);
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

/** Mount points go in a tmpfs, so the shared rootfs stays as it is. */
function spec(args: string[], edit: (s: Spec) => void): Spec {
  return testSpec(args, (s) => {
    s.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['mode=1777'] });
    edit(s);
  });
}

function see(script: string, edit: (s: Spec) => void): { code: number | null; out: string; err: string } {
  const r = env.carton(['run', '--bundle', env.bundle(spec(['sh', '-c', script], edit)), env.id()]);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

/**
 * A host directory and one file in it, both owned by uid:gid (the kernel
 * refuses to create files in a directory whose owner the mount leaves
 * unmapped).
 */
function source(name: string, uid: number, gid: number): string {
  const d = path.join(env.dir, name);
  fs.mkdirSync(d);
  fs.chmodSync(d, 0o777);
  fs.writeFileSync(path.join(d, 'foo'), 'x');
  for (const f of [d, path.join(d, 'foo')]) fs.chownSync(f, uid, gid);
  return d;
}

function owner(file: string): string {
  const st = fs.statSync(file);
  return `${st.uid}:${st.gid}`;
}

const userns = (s: Spec) => {
  s.linux!.namespaces!.push({ type: 'user' });
  s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
};

t.test(
  'no user namespace: host ids appear mapped, and files created through the mount get the unmapped owner on the host',
  async (t) => {
    const src = source('plain', 100, 200);
    const r = see('stat -c %u:%g /tmp/m/foo; touch /tmp/m/made-by-5003; stat -c %u:%g /tmp/m/made-by-5003', (s) => {
      s.process!.user = { uid: 5003, gid: 6004 };
      s.mounts!.push({
        destination: '/tmp/m',
        type: 'bind',
        source: src,
        options: ['bind'],
        uidMappings: [{ containerID: 100, hostID: 5000, size: 10 }],
        gidMappings: [{ containerID: 200, hostID: 6000, size: 10 }],
      });
    });
    t.equal(r.code, 0, r.err);
    t.same(
      r.out.trim().split('\n'),
      ['5000:6000', '5003:6004'],
      'inside: 100:200 is seen as 5000:6000; the new file as its creator',
    );
    t.equal(owner(path.join(src, 'made-by-5003')), '103:204', 'on the host the new file is 103:204');
  },
);

t.test('an id the mapping does not cover cannot create files (EOVERFLOW), as with runc', async (t) => {
  const src = source('unmapped', 0, 0);
  const r = see('touch /tmp/m/x 2>&1; echo rc=$?', (s) => {
    s.mounts!.push({
      destination: '/tmp/m',
      type: 'bind',
      source: src,
      options: ['bind'],
      uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    });
  });
  t.equal(r.code, 0, r.err);
  t.match(r.out, /Value too large for defined data type\nrc=1/);
  t.notOk(fs.existsSync(path.join(src, 'x')));
});

t.test("user namespace: the mount maps the container's root onto a host id of its own", async (t) => {
  const src = source('userns', 1000, 1000);
  const plain = source('userns-plain', 1000, 1000);
  const r = see('stat -c %u:%g /tmp/m/foo /tmp/p/foo; touch /tmp/m/new; stat -c %u:%g /tmp/m/new', (s) => {
    userns(s);
    s.mounts!.push({
      destination: '/tmp/m',
      type: 'bind',
      source: src,
      options: ['bind', 'idmap'],
      uidMappings: [{ containerID: 1000, hostID: 100000, size: 65536 }],
      gidMappings: [{ containerID: 1000, hostID: 100000, size: 65536 }],
    });
    s.mounts!.push({ destination: '/tmp/p', type: 'bind', source: plain, options: ['bind'] });
  });
  t.equal(r.code, 0, r.err);
  t.same(
    r.out.trim().split('\n'),
    ['0:0', '65534:65534', '0:0'],
    "host 1000 is the container's root through /m, unmapped (overflow) through a plain bind",
  );
  t.equal(owner(path.join(src, 'new')), '1000:1000', "the container root's file is 1000:1000 on the host");
});

t.test('"idmap" without maps of its own takes the container\'s user namespace maps', async (t) => {
  const src = source('ctr-maps', 0, 0);
  const r = see('stat -c %u:%g /tmp/m/foo; mkdir /tmp/m/d; stat -c %u:%g /tmp/m/d', (s) => {
    userns(s);
    s.mounts!.push({ destination: '/tmp/m', type: 'bind', source: src, options: ['bind', 'idmap'] });
  });
  t.equal(r.code, 0, r.err);
  t.same(r.out.trim().split('\n'), ['0:0', '0:0']);
  t.equal(owner(path.join(src, 'd')), '0:0', 'host root owns what the container root made');
});

t.test('ridmap maps the submounts of an rbind too; idmap only the top', async (t) => {
  const src = source('rec', 7, 7);
  fs.mkdirSync(path.join(src, 'sub'));
  const maps = {
    uidMappings: [{ containerID: 0, hostID: 3000, size: 100 }],
    gidMappings: [{ containerID: 0, hostID: 3000, size: 100 }],
  };
  const b = env.bundle(
    spec(['sh', '-c', 'stat -c %u /tmp/r/foo /tmp/r/sub/bar /tmp/i/foo /tmp/i/sub/bar'], (s) => {
      s.mounts!.push({ destination: '/tmp/r', type: 'bind', source: src, options: ['rbind', 'ridmap'], ...maps });
      s.mounts!.push({ destination: '/tmp/i', type: 'bind', source: src, options: ['rbind', 'idmap'], ...maps });
    }),
  );
  // The submount exists only in a private mount namespace made for this run.
  const script = `mount -t tmpfs -o mode=755 tmpfs "$1/sub" && touch "$1/sub/bar" && chown 9:9 "$1/sub/bar" && exec "$2" --root "$3" run --bundle "$4" "$5"`;
  const r = spawnSync(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', src, CARTON, env.root, b, env.id()],
    { encoding: 'utf8', timeout: 30000 },
  );
  t.equal(r.status, 0, r.stderr);
  t.same(
    r.stdout.trim().split('\n'),
    ['3007', '3009', '3007', '9'],
    'the submount is mapped only under ridmap; under idmap it shows its plain ids',
  );
});

t.test('bad id-mapped mounts are refused naming the mount, leaving nothing behind', async (t) => {
  const src = source('bad', 0, 0);
  const maps = {
    uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
    gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
  };
  const cases: Array<[string, (s: Spec) => void, RegExp]> = [
    [
      'not a bind',
      (s) => s.mounts!.push({ destination: '/tmp/t', type: 'tmpfs', source: 'tmpfs', options: ['idmap'], ...maps }),
      /\/mounts\/\d+ \(\/tmp\/t\): id-mapped mounts are only supported for bind mounts/,
    ],
    [
      'idmap without maps or user namespace',
      (s) => s.mounts!.push({ destination: '/tmp/t', type: 'bind', source: src, options: ['bind', 'ridmap'] }),
      /mount option "ridmap" without uidMappings\/gidMappings needs a new user namespace/,
    ],
    [
      'zero-sized range',
      (s) =>
        s.mounts!.push({
          destination: '/tmp/t',
          type: 'bind',
          source: src,
          options: ['bind'],
          uidMappings: [{ containerID: 0, hostID: 0, size: 0 }],
          gidMappings: maps.gidMappings,
        }),
      /\/mounts\/\d+\/uidMappings\/0\/size: must be at least 1/,
    ],
    [
      'overlapping ranges (the kernel refuses)',
      (s) =>
        s.mounts!.push({
          destination: '/tmp/t',
          type: 'bind',
          source: src,
          options: ['bind'],
          uidMappings: [
            { containerID: 0, hostID: 0, size: 10 },
            { containerID: 5, hostID: 100, size: 10 },
          ],
          gidMappings: maps.gidMappings,
        }),
      /mount .* to \/tmp\/t: write uid_map of its id mapping: invalid argument/,
    ],
  ];
  for (const [name, edit, re] of cases) {
    const id = env.id();
    const r = env.carton(['run', '--bundle', env.bundle(spec(['true'], edit)), id]);
    t.equal(r.code, 1, name);
    t.match(r.stderr, re, name);
    t.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line`);
    t.notOk(fs.existsSync(path.join(env.root, id)), `${name}: no state left`);
  }
});
