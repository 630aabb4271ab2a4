// What the process inside sees: each test runs a container in the
// foreground and asserts on what it printed from /proc, id, ulimit, etc.
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { Env, statusMap, testSpec } from '../helpers';
import type { Spec } from '../../src/spec/types';

const env = new Env('view');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

function see(script: string, edit?: (s: Spec) => void): { code: number | null; out: string; err: string } {
  const r = env.carton(['run', '--bundle', env.bundle(testSpec(['sh', '-c', script], edit)), env.id()]);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

t.test('pid 1 in its own pid namespace, its own hostname', async (t) => {
  const r = see('echo $$; hostname; cat /proc/self/stat | cut -d" " -f4', (s) => (s.hostname = 'box-7'));
  t.equal(r.code, 0, r.err);
  const [pid, host, ppid] = r.out.trim().split('\n');
  t.equal(pid, '1');
  t.equal(host, 'box-7');
  t.equal(ppid, '1', 'cat is a child of pid 1');
});

t.test('mounts: proc, sysfs ro, devpts, mqueue, shm tmpfs, cgroup, root read-only', async (t) => {
  const r = see('cat /proc/self/mountinfo; touch /x 2>&1; echo rc=$?');
  t.equal(r.code, 0, r.err);
  const lines = r.out.split('\n');
  const at = (mp: string) => lines.find((l) => l.split(' ')[4] === mp) ?? '';
  t.match(at('/'), / ro[, ]/, 'root is read-only');
  t.match(at('/proc'), / - proc /);
  t.match(at('/sys'), / ro,.* - sysfs /);
  t.match(at('/dev'), / - tmpfs /);
  t.match(at('/dev/pts'), / - devpts /);
  t.match(at('/dev/shm'), / - tmpfs /);
  t.match(at('/dev/mqueue'), / - mqueue /);
  t.match(at('/sys/fs/cgroup'), / - tmpfs /);
  t.match(at('/sys/fs/cgroup/memory'), / - cgroup .*memory/);
  t.match(r.out, /Read-only file system/);
  t.notOk(lines.some((l) => l.includes(' /sys/fs/cgroup/unified ') && false));
});

t.test('masked and read-only paths, default devices and /dev links', async (t) => {
  const r = see(
    'cat /proc/timer_list | wc -c; ls /sys/firmware | wc -l; (echo 1 > /proc/sys/kernel/domainname) 2>&1; ls -l /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty; for l in /dev/fd /dev/stdin /dev/ptmx; do readlink $l; done',
    (s) => {
      s.linux!.maskedPaths!.push('/proc/no-such-file');
    },
  );
  t.equal(r.code, 0, r.err);
  const lines = r.out.split('\n');
  t.equal(lines[0]?.trim(), '0', '/proc/timer_list is masked by /dev/null');
  t.equal(lines[1]?.trim(), '0', '/sys/firmware is masked by an empty tmpfs');
  t.match(r.out, /Read-only file system/, '/proc/sys is read-only');
  for (const [dev, mm] of [
    ['null', '1,\\s+3'],
    ['zero', '1,\\s+5'],
    ['full', '1,\\s+7'],
    ['random', '1,\\s+8'],
    ['urandom', '1,\\s+9'],
    ['tty', '5,\\s+0'],
  ]) {
    t.match(r.out, new RegExp(`crw-rw-rw-\\s+1 root\\s+root\\s+${mm} .*/dev/${dev}\\n`), `/dev/${dev}`);
  }
  t.match(r.out, /\/proc\/self\/fd\n\/proc\/self\/fd\/0\npts\/ptmx\n/);
});

t.test('uid, gid, additional gids, umask, cwd created, env', async (t) => {
  const r = see('id; umask; pwd; echo "$FOO"', (s) => {
    s.process!.user = { uid: 1000, gid: 1001, additionalGids: [5, 2000], umask: 0o027 };
    s.process!.cwd = '/tmp/work/deep';
    s.root!.readonly = false;
    s.process!.env!.push('FOO=bar baz');
  });
  t.equal(r.code, 0, r.err);
  const [id, umask, cwd, foo] = r.out.trim().split('\n');
  t.match(id, /^uid=1000 gid=1001 groups=5\(tty\),2000$/);
  t.equal(umask, '0027');
  t.equal(cwd, '/tmp/work/deep');
  t.equal(foo, 'bar baz');
  t.teardown(() => fs.rmSync(path.join(testSpec([]).root!.path, 'tmp/work'), { recursive: true, force: true }));
});

t.test('capabilities: all five sets, no_new_privs, as configured', async (t) => {
  const r = see('cat /proc/self/status', (s) => {
    s.process!.capabilities = {
      bounding: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_CHOWN'],
      effective: ['CAP_KILL', 'CAP_CHOWN'],
      permitted: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_CHOWN'],
      inheritable: ['CAP_KILL'],
      ambient: ['CAP_KILL'],
    };
  });
  t.equal(r.code, 0, r.err);
  const st = statusMap(r.out);
  // CAP_CHOWN=0, CAP_KILL=5, CAP_NET_BIND_SERVICE=10. After execve as root,
  // effective = permitted (the file-less root rule); ambient survives exec.
  t.equal(st.CapBnd, (1 | (1 << 5) | (1 << 10)).toString(16).padStart(16, '0'));
  t.equal(st.CapInh, (1 << 5).toString(16).padStart(16, '0'));
  t.equal(st.CapAmb, (1 << 5).toString(16).padStart(16, '0'));
  t.equal(st.CapPrm, (1 | (1 << 5) | (1 << 10)).toString(16).padStart(16, '0'));
  t.equal(st.NoNewPrivs, '1');
});

t.test('a non-root user gets exactly its effective set (ambient), rlimits and oom_score_adj', async (t) => {
  const r = see('cat /proc/self/status; ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj', (s) => {
    s.process!.user = { uid: 1000, gid: 1000 };
    s.process!.capabilities = {
      bounding: ['CAP_KILL'],
      effective: ['CAP_KILL'],
      permitted: ['CAP_KILL'],
      inheritable: ['CAP_KILL'],
      ambient: ['CAP_KILL'],
    };
    s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 123, hard: 456 }];
    s.process!.oomScoreAdj = 500;
    s.process!.noNewPrivileges = false;
  });
  t.equal(r.code, 0, r.err);
  const st = statusMap(r.out);
  t.equal(st.CapEff, (1 << 5).toString(16).padStart(16, '0'), 'ambient CAP_KILL is effective for uid 1000');
  t.equal(st.Uid?.split(/\s+/)[0], '1000');
  t.equal(st.NoNewPrivs, '0');
  const tail = r.out.trim().split('\n').slice(-3);
  t.same(tail, ['123', '456', '500']);
});

t.test('a user namespace: the container is root, the host sees mapped ids', async (t) => {
  const b = env.bundle(
    testSpec(['sh', '-c', 'id; cat /proc/self/uid_map /proc/self/gid_map; sleep 1000'], (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    }),
  );
  const id = env.id();
  const c = env.detached(['run', '-d', '--bundle', b, id]);
  t.equal(c.code, 0, c.stderr);
  const pid = env.state(id).pid;
  await new Promise((r) => setTimeout(r, 300));
  const host = statusMap(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  t.equal(host.Uid?.split(/\s+/)[0], '100000', 'host sees uid 100000');
  t.equal(host.Gid?.split(/\s+/)[0], '200000', 'host sees gid 200000');
  t.not(fs.readlinkSync(`/proc/${pid}/ns/user`), fs.readlinkSync('/proc/self/ns/user'));
  const out = fs.readFileSync(c.out, 'utf8');
  t.match(out, /^uid=0\(root\) gid=0\(root\)/);
  t.match(out, /\s+0\s+100000\s+65536\n\s+0\s+200000\s+65536\n/);
  t.equal(env.carton(['delete', '--force', id]).code, 0);
});

t.test("namespaces joined by path: a second container shares the first one's network and uts", async (t) => {
  const id1 = env.id();
  const b1 = env.bundle(testSpec(['sleep', '1000'], (s) => (s.hostname = 'first')));
  t.equal(env.detached(['run', '-d', '--bundle', b1, id1]).code, 0);
  const pid1 = env.state(id1).pid;
  const r = see('hostname; readlink /proc/self/ns/net', (s) => {
    delete s.hostname;
    s.linux!.namespaces = s.linux!.namespaces!.map((n) =>
      n.type === 'network' || n.type === 'uts'
        ? { type: n.type, path: `/proc/${pid1}/ns/${n.type === 'network' ? 'net' : 'uts'}` }
        : n,
    );
  });
  t.equal(r.code, 0, r.err);
  t.equal(r.out.split('\n')[0], 'first');
  t.equal(r.out.split('\n')[1], fs.readlinkSync(`/proc/${pid1}/ns/net`));
  t.equal(env.carton(['delete', '--force', id1]).code, 0);
});

t.test('bind mounts: ro, a file, and a relative source; no-pivot', async (t) => {
  const data = path.join(env.dir, 'data');
  fs.mkdirSync(data);
  fs.writeFileSync(path.join(data, 'hello'), 'hi there\n');
  fs.writeFileSync(path.join(env.dir, 'one-file'), 'single\n');
  const r = see('cat /mnt/data/hello /mnt/file; touch /mnt/data/x 2>&1; echo', (s) => {
    s.mounts!.push({ destination: '/mnt/data', type: 'bind', source: data, options: ['rbind', 'ro'] });
    s.mounts!.push({ destination: '/mnt/file', type: 'bind', source: '../one-file', options: ['bind'] });
  });
  t.equal(r.code, 0, r.err);
  t.match(r.out, /^hi there\nsingle\n.*Read-only file system/s);
  const np = env.carton([
    'run',
    '--no-pivot',
    '--bundle',
    env.bundle(testSpec(['sh', '-c', 'echo $$; cat /proc/1/cmdline'])),
    env.id(),
  ]);
  t.equal(np.code, 0, np.stderr);
  t.match(np.stdout, /^1\n/);
});
