// Rootless: a real non-root user (created here, removed at the end) makes a
// bundle with `carton spec --rootless` and runs it. No cgroup is created
// anywhere for it, the container is root in its own user namespace, and its
// processes are that user on the host.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import t from 'tap';
import { CARTON, ROOTFS, leaksUnder, statusMap } from '../helpers';
import type { Spec } from '../../src/spec/types';

const user = `crl${process.pid}`.slice(0, 30);
const add = spawnSync('useradd', ['-M', '-N', '-s', '/usr/sbin/nologin', user], { encoding: 'utf8' });
if (add.status !== 0) throw new Error(`useradd ${user}: ${add.stderr}`);
const uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
const gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());

// Everything the user touches lives in a directory it owns.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carton-rootless-'));
fs.chownSync(dir, uid, gid);
const xdg = path.join(dir, 'xdg');
const root = path.join(xdg, 'carton'); // the default --root for a non-root caller
const ids = new Set<string>();
const pids = new Set<number>();
let n = 0;

t.teardown(() => {
  if (fs.existsSync(root))
    for (const id of fs.readdirSync(root)) spawnSync(CARTON, ['--root', root, 'delete', '--force', id]);
  const leaks = leaksUnder(dir, ids, pids);
  for (const h of fs.readdirSync('/sys/fs/cgroup')) {
    for (const id of ids)
      if (fs.existsSync(path.join('/sys/fs/cgroup', h, 'carton', id))) leaks.push(`cgroup made for ${id} in ${h}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const del = spawnSync('userdel', [user], { encoding: 'utf8' });
  if (del.status !== 0) leaks.push(`userdel ${user}: ${del.stderr}`);
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

/** carton as the test user, with its own XDG_RUNTIME_DIR and no --root. */
function asUser(args: string[], out?: string): { code: number | null; stdout: string; stderr: string } {
  // env -i: tap's process-info hook adds NODE_OPTIONS to children, and its
  // loader would then try to write into the repo as this user.
  const cmd = [
    '-u',
    user,
    '--',
    'env',
    '-i',
    `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`,
    `XDG_RUNTIME_DIR=${xdg}`,
    `HOME=${dir}`,
    CARTON,
    ...args,
  ];
  if (out) {
    const fd = fs.openSync(out, 'w');
    fs.fchownSync(fd, uid, gid);
    const r = spawnSync('runuser', cmd, { stdio: ['ignore', fd, fd], cwd: dir, timeout: 30000 });
    fs.closeSync(fd);
    const text = fs.readFileSync(out, 'utf8');
    return { code: r.status, stdout: text, stderr: text };
  }
  const r = spawnSync('runuser', cmd, { encoding: 'utf8', cwd: dir, timeout: 30000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function id(): string {
  const s = `rl${++n}-${process.pid}`;
  ids.add(s);
  return s;
}

/** `carton spec --rootless` run by the user, then args and rootfs set. */
function bundle(args: string[], edit?: (s: Spec) => void): string {
  const b = path.join(dir, `b${++n}`);
  fs.mkdirSync(b);
  fs.chownSync(b, uid, gid);
  const r = asUser(['spec', '--rootless', '--bundle', b]);
  if (r.code !== 0) throw new Error(`spec --rootless: ${r.stderr}`);
  const s = JSON.parse(fs.readFileSync(path.join(b, 'config.json'), 'utf8')) as Spec;
  s.process!.terminal = false;
  s.process!.args = args;
  s.root = { path: ROOTFS, readonly: true };
  edit?.(s);
  fs.writeFileSync(path.join(b, 'config.json'), JSON.stringify(s));
  return b;
}

t.test('spec --rootless maps the calling user, not root', async (t) => {
  const s = JSON.parse(fs.readFileSync(path.join(bundle(['true']), 'config.json'), 'utf8')) as Spec;
  t.same(s.linux!.uidMappings, [{ containerID: 0, hostID: uid, size: 1 }]);
  t.same(s.linux!.gidMappings, [{ containerID: 0, hostID: gid, size: 1 }]);
  t.ok(s.linux!.namespaces!.some((x) => x.type === 'user'));
  t.notOk(s.linux!.resources, 'no cgroup limits');
});

t.test('run as a non-root user: root inside, the user outside, setgroups denied, no cgroup', async (t) => {
  const c = id();
  const r = asUser([
    'run',
    '--bundle',
    bundle(
      [
        'sh',
        '-c',
        'id; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; hostname; touch /tmp/x 2>&1 || true',
      ],
      (s) => s.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs' }),
    ),
    c,
  ]);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.match(lines[0], /^uid=0\(root\) gid=0\(root\)/);
  t.match(lines[1], new RegExp(`^\\s*0\\s+${uid}\\s+1$`));
  t.match(lines[2], new RegExp(`^\\s*0\\s+${gid}\\s+1$`));
  t.equal(lines[3], 'deny', 'setgroups is "deny" (written before gid_map)');
  t.equal(lines[4], 'carton');
  t.equal(lines.length, 5, 'the tmpfs is writable by the container root');
  t.ok(fs.existsSync(path.join(root)), 'state under $XDG_RUNTIME_DIR/carton by default');
});

t.test("create / start / state / kill / delete as the user, with the host seeing the user's uid", async (t) => {
  const c = id();
  const out = path.join(dir, `out-${c}`);
  const cr = asUser(['create', '--bundle', bundle(['sleep', '1000']), c], out);
  t.equal(cr.code, 0, cr.stderr);
  const st = JSON.parse(asUser(['state', c]).stdout) as { status: string; pid: number };
  pids.add(st.pid);
  t.equal(st.status, 'created');
  // The waiting init is not dumpable (CVE-2016-9962), so a caller without
  // CAP_SYS_PTRACE cannot open its /proc/<pid>/ns/*: refused in one line.
  const early = asUser(['exec', c, 'true']);
  t.not(early.code, 0);
  t.match(early.stderr, /^carton: exec failed: cannot exec in a created container without root/);
  t.equal(early.stderr.trim().split('\n').length, 1, 'one line');
  t.equal(asUser(['start', c]).code, 0);
  // execve made the process dumpable again: exec joins it as the user.
  const ex = asUser(['exec', c, 'id', '-u']);
  t.equal(ex.code, 0, ex.stderr);
  t.equal(ex.stdout.trim(), '0', 'root in the container');
  const host = statusMap(fs.readFileSync(`/proc/${st.pid}/status`, 'utf8'));
  t.equal(host.Uid?.split(/\s+/)[0], String(uid), 'the host sees the user');
  t.not(fs.readlinkSync(`/proc/${st.pid}/ns/user`), fs.readlinkSync('/proc/self/ns/user'));
  const cg = fs.readFileSync(`/proc/${st.pid}/cgroup`, 'utf8');
  t.notMatch(cg, /carton/, 'not in any carton cgroup');
  t.match(
    asUser(['list']).stdout,
    new RegExp(`${c}\\s+${st.pid}\\s+running\\s+.*\\s${user}\\n`),
    'list shows the owner',
  );
  t.equal(asUser(['kill', c, 'KILL']).code, 0);
  for (let i = 0; i < 100 && (JSON.parse(asUser(['state', c]).stdout) as { status: string }).status !== 'stopped'; i++)
    await new Promise((res) => setTimeout(res, 20));
  t.equal(asUser(['delete', c]).code, 0);
  t.notOk(fs.existsSync(path.join(root, c)));
});

t.test('what a rootless caller cannot have is refused with one line, leaving nothing', async (t) => {
  const cases: Array<[string, string[], (s: Spec) => void, RegExp]> = [
    [
      'limits without a cgroup',
      [],
      (s) => (s.linux!.resources = { pids: { limit: 10 } }),
      /linux\.resources\.pids: cannot set pids limit: container could not join or create cgroup/,
    ],
    [
      'an explicit cgroupsPath must be created',
      [],
      (s) => (s.linux!.cgroupsPath = '/carton-rootless-test'),
      /cgroup: mkdir \/sys\/fs\/cgroup\/[^ ]*carton-rootless-test: permission denied/,
    ],
    [
      '--rootless=false turns cgroup errors back on',
      ['--rootless=false'],
      () => undefined,
      /cgroup: mkdir .*: permission denied/,
    ],
    [
      'supplementary groups',
      [],
      (s) => (s.process!.user = { uid: 0, gid: 0, additionalGids: [5] }),
      /\/process\/user\/additionalGids: cannot set supplementary groups without root/,
    ],
    [
      "a map of more than the caller's own id",
      [],
      (s) =>
        (s.linux!.uidMappings = [
          { containerID: 0, hostID: uid, size: 1 },
          { containerID: 1, hostID: 100000, size: 10 },
        ]),
      /write \/proc\/\d+\/uid_map: operation not permitted/,
    ],
  ];
  for (const [name, globals, edit, re] of cases) {
    const c = id();
    const r = asUser([...globals, 'run', '--bundle', bundle(['true'], edit), c]);
    t.equal(r.code, 1, name);
    t.match(r.stderr, re, name);
    t.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line`);
    t.notOk(fs.existsSync(path.join(root, c)), `${name}: no state left`);
  }
});
