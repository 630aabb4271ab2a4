// `carton exec` through the real CLI: the process joins the container's
// namespaces and cgroups, takes runc's flags (parsing stops after the id,
// repeated flags are never split on commas), gets no inheritable caps, exits
// with its own status, and fails with runc's wording and status 255.
// Also the foreground-run/exec behaviour: signal forwarding and LISTEN_FDS.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { addon } from '../../src/native';
import { CARTON, Env, receiveConsole, statusMap, testSpec } from '../helpers';

const env = new Env('exec');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

/** A running container (sleep) to exec into; returns its id and init pid. */
function running(edit?: Parameters<typeof testSpec>[1]): { id: string; pid: number } {
  const id = env.id();
  const r = env.detached(['run', '-d', '--bundle', env.bundle(testSpec(['sleep', '1000'], edit)), id]);
  if (r.code !== 0) throw new Error(`run -d: ${r.stderr}`);
  return { id, pid: env.state(id).pid };
}

const NS = ['mnt', 'pid', 'net', 'ipc', 'uts', 'cgroup'];

t.test('the process joins every namespace and the cgroups of the container', async (t) => {
  const { id, pid } = running();
  const r = env.carton([
    'exec',
    id,
    'sh',
    '-c',
    `for n in ${NS.join(' ')}; do readlink /proc/self/ns/$n; done; echo $$; hostname`,
  ]);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  for (const [i, n] of NS.entries())
    t.equal(lines[i], fs.readlinkSync(`/proc/${pid}/ns/${n}`), `${n} namespace is the init's`);
  t.not(lines[NS.length], '1', "a new pid in the container's pid namespace");
  t.equal(lines[NS.length + 1], 'carton', "the container's hostname");

  const pidFile = path.join(env.dir, `${id}-exec.pid`);
  const d = env.detached(['exec', '-d', '--pid-file', pidFile, id, 'sleep', '1000']);
  t.equal(d.code, 0, d.stderr);
  const text = fs.readFileSync(pidFile, 'utf8');
  t.match(text, /^\d+$/, 'pid file: bare digits');
  const epid = Number(text);
  env.pids.add(epid);
  t.equal(
    fs.readFileSync(`/proc/${epid}/cgroup`, 'utf8'),
    fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'),
    'same cgroups as the init',
  );
  t.equal(fs.readlinkSync(`/proc/${epid}/root`), fs.readlinkSync(`/proc/${pid}/root`), 'same root');
  t.equal(env.carton(['delete', '--force', id]).code, 0);
  for (
    let i = 0;
    i < 100 && fs.existsSync(`/proc/${epid}/stat`) && !/\) [ZX] /.test(fs.readFileSync(`/proc/${epid}/stat`, 'utf8'));
    i++
  )
    await new Promise((r) => setTimeout(r, 20));
  t.notOk(
    fs.existsSync(`/proc/${epid}/stat`) && !/\) [ZX] /.test(fs.readFileSync(`/proc/${epid}/stat`, 'utf8')),
    "delete --force kills exec'd processes too",
  );
});

t.test("the exec'd process gets the container's seccomp filter", async (t) => {
  const { id } = running((s) => {
    s.linux!.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    };
  });
  const r = env.carton(['exec', id, 'sh', '-c', 'grep "^Seccomp:" /proc/self/status; mkdir /tmp/x 2>&1; echo rc=$?']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^Seccomp:\s+2$/m, 'filter mode');
  t.match(r.stdout, /Operation not permitted[\s\S]*rc=1/, 'mkdir is denied as in the container');
});

t.test('exec into a container with its own user and time namespaces', async (t) => {
  const { id, pid } = running((s) => {
    s.linux!.namespaces!.push({ type: 'user' }, { type: 'time' });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux!.timeOffsets = { monotonic: { secs: 86400 } };
  });
  const r = env.carton([
    'exec',
    id,
    'sh',
    '-c',
    'readlink /proc/self/ns/user; readlink /proc/self/ns/time; id -u; cat /proc/self/uid_map',
  ]);
  t.equal(r.code, 0, r.stderr);
  const [user, time, uid, map] = r.stdout.trim().split('\n');
  t.equal(user, fs.readlinkSync(`/proc/${pid}/ns/user`), "the container's user namespace");
  t.equal(
    time,
    fs.readlinkSync(`/proc/${pid}/ns/time`),
    "the container's time namespace (owned by the host's user namespace)",
  );
  t.equal(uid, '0');
  t.match(map, /^\s*0\s+100000\s+65536$/);
});

t.test("exit status is the process's; 128+N for a signal", async (t) => {
  const { id } = running();
  const r = env.carton(['exec', id, 'sh', '-c', 'echo out; echo err >&2; exit 7']);
  t.equal(r.code, 7);
  t.equal(r.stdout, 'out\n');
  t.equal(r.stderr, 'err\n');
  t.equal(env.carton(['exec', id, 'sh', '-c', 'kill -9 $$']).code, 137);
  t.equal(env.carton(['exec', id, 'true']).code, 0);
});

t.test('parsing stops after the id; repeated flags are not split on commas', async (t) => {
  const { id } = running();
  const r = env.carton(['exec', '-e', 'A=b,c', '--env', 'B=2', id, 'sh', '-c', 'echo "$A|$B|$0|$1"', '-c', '--y']);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'b,c|2|-c|--y\n', '-c and --y after the id belong to the command');
  const none = env.carton(['exec', id]);
  t.equal(none.code, 1);
  t.match(none.stderr, 'requires a minimum of 2 argument(s)');
});

t.test('--user, --additional-gids, --cwd, --no-new-privs, --cap (never inheritable)', async (t) => {
  const { id } = running();
  const r = env.carton([
    'exec',
    '-u',
    '1000:1001',
    '-g',
    '5',
    '-g',
    '6',
    '--cwd',
    '/tmp',
    '--no-new-privs',
    '--cap',
    'CAP_SYS_TIME',
    id,
    'sh',
    '-c',
    'id -u; id -g; id -G; pwd; cat /proc/self/status',
  ]);
  t.equal(r.code, 0, r.stderr);
  const [uid, gid, groups, cwd] = r.stdout.split('\n');
  t.same([uid, gid, groups, cwd], ['1000', '1001', '1001 5 6', '/tmp']);
  const st = statusMap(r.stdout);
  t.equal(st.NoNewPrivs, '1');
  t.equal(st.CapInh, '0000000000000000', 'no inheritable caps (CVE-2022-29162)');
  t.equal(st.CapAmb, '0000000000000000', 'no ambient caps');
  t.ok((BigInt('0x' + st.CapBnd) >> 25n) & 1n, 'CAP_SYS_TIME added to the bounding set');
  const root = env.carton(['exec', '--cap', 'CAP_SYS_TIME', id, 'cat', '/proc/self/status']);
  const rs = statusMap(root.stdout);
  t.ok((BigInt('0x' + rs.CapEff) >> 25n) & 1n, 'and to the effective set');
  t.equal(rs.CapInh, '0000000000000000', 'still nothing inheritable');
  const def = statusMap(env.carton(['exec', id, 'cat', '/proc/self/status']).stdout);
  t.notOk((BigInt('0x' + def.CapBnd) >> 25n) & 1n, "without --cap: the container's caps");
});

t.test('--process FILE: a runtime-spec process, validated', async (t) => {
  const { id } = running();
  const file = path.join(env.dir, 'process.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      args: ['sh', '-c', 'echo $X; pwd; id -u'],
      env: ['X=from-file'],
      cwd: '/etc',
      user: { uid: 7, gid: 7 },
    }),
  );
  const r = env.carton(['exec', '--process', file, id]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'from-file\n/etc\n7\n');
  fs.writeFileSync(file, JSON.stringify({ args: 'sh', cwd: '/' }));
  const bad = env.carton(['exec', '-p', file, id]);
  t.equal(bad.code, 255);
  t.match(bad.stderr, 'exec failed: process.json: /args must be array');
  fs.writeFileSync(file, JSON.stringify({ args: ['true'], cwd: '/', apparmorProfile: 'x' }));
  t.match(
    env.carton(['exec', '-p', file, id]).stderr,
    'process.json: /apparmorProfile is not supported by this version of carton',
  );
  t.match(
    env.carton(['exec', '-p', path.join(env.dir, 'nope.json'), id]).stderr,
    /exec failed: open .*nope\.json: no such file or directory/,
  );
});

t.test("--process with ioPriority: applied to the exec'd process", async (t) => {
  const { id } = running();
  const file = path.join(env.dir, 'ioprio.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ args: ['sleep', '1000'], cwd: '/', ioPriority: { class: 'IOPRIO_CLASS_IDLE', priority: 0 } }),
  );
  const pidFile = path.join(env.dir, 'ioprio.pid');
  const r = env.detached(['exec', '-d', '--pid-file', pidFile, '--process', file, id]);
  t.equal(r.code, 0, r.stderr);
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  env.pids.add(pid);
  const io = spawnSync('ionice', ['-p', String(pid)], { encoding: 'utf8' });
  t.equal(io.stdout.trim(), 'idle', 'ioprio_set reached the process');
  t.equal(
    spawnSync('ionice', ['-p', String(env.state(id).pid)], { encoding: 'utf8' }).stdout.trim(),
    'none: prio 0',
    'the init is untouched',
  );
});

t.test('failures: runc wording, status 255, nothing left behind', async (t) => {
  const { id, pid } = running();
  const missing = env.carton(['exec', id, '/nonexistent']);
  t.equal(missing.code, 255);
  t.equal(
    missing.stderr.trim(),
    'carton: exec failed: unable to start container process: exec: "/nonexistent": stat /nonexistent: no such file or directory',
  );
  t.match(
    env.carton(['exec', id, 'nope']).stderr,
    'exec failed: unable to start container process: exec: "nope": executable file not found in $PATH',
  );
  const cwd = env.carton(['exec', '--cwd', '/no/such/dir', id, 'true']);
  t.equal(cwd.code, 255);
  t.match(cwd.stderr, 'chdir to cwd ("/no/such/dir")');
  t.match(env.carton(['exec', 'nosuch', 'true']), { code: 255, stderr: /exec failed: container does not exist/ });
  t.match(
    env.carton(['exec', '-d', '-t', id, 'true']).stderr,
    'cannot allocate tty if runc will detach without setting console socket',
  );
  t.match(
    env.carton(['exec', '--console-socket', '/x.sock', id, 'true']).stderr,
    'cannot use console socket if runc will not detach or allocate tty',
  );
  t.match(
    env.carton(['exec', '--cgroup', 'nosuch-sub', id, 'true']).stderr,
    /--cgroup nosuch-sub: .*: no such file or directory/,
  );
  const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  t.equal(kids, '', 'no half-started process left in the container');

  // Paused: freeze the container's own v1 freezer cgroup directly.
  const freezer = fs.readdirSync('/sys/fs/cgroup').find((h) => h.split(',').includes('freezer'));
  if (freezer) {
    const dir = path.join('/sys/fs/cgroup', freezer, 'carton', id);
    fs.writeFileSync(path.join(dir, 'freezer.state'), 'FROZEN');
    try {
      for (let i = 0; i < 100 && fs.readFileSync(path.join(dir, 'freezer.state'), 'utf8').trim() !== 'FROZEN'; i++)
        await new Promise((r) => setTimeout(r, 20));
      const p = env.carton(['exec', id, 'true']);
      t.equal(p.code, 255);
      t.equal(
        p.stderr.trim(),
        'carton: exec failed: cannot exec in a paused container (use --ignore-paused to override)',
      );
    } finally {
      fs.writeFileSync(path.join(dir, 'freezer.state'), 'THAWED');
    }
  }
  t.equal(env.carton(['kill', id, 'KILL']).code, 0);
  for (let i = 0; i < 100 && env.state(id).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
  const stopped = env.carton(['exec', id, 'true']);
  t.equal(stopped.code, 255);
  t.match(stopped.stderr, 'exec failed: cannot exec in a stopped container');
});

t.test('fds: only stdio, plus --preserve-fds', async (t) => {
  const { id } = running();
  const extra = path.join(env.dir, 'extra');
  fs.writeFileSync(extra, 'from-fd-3\n');
  const fd = fs.openSync(extra, 'r');
  const run = (n: number) =>
    spawnSync(
      CARTON,
      [
        '--root',
        env.root,
        'exec',
        '--preserve-fds',
        String(n),
        id,
        'sh',
        '-c',
        'cat <&3 2>/dev/null; cd /proc/self/fd && echo *',
      ],
      { stdio: ['ignore', 'pipe', 'pipe', fd], encoding: 'utf8' },
    );
  t.equal(run(1).stdout, 'from-fd-3\n0 1 2 3 4\n', 'fd 3 arrives, nothing else leaks');
  t.equal(run(0).stdout, '0 1 2 3\n', "without --preserve-fds only 0-2 (3 is the glob's)");
  fs.closeSync(fd);
});

t.test('exec -t gives the process a terminal of its own', async (t) => {
  const { id } = running();
  const r = env.carton(['exec', '-t', id, 'sh', '-c', 'tty; [ -t 0 ] && echo stdin-is-a-tty; true']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^\/dev\/pts\/\d+\r?\n/, "a pty from the container's devpts");
  t.match(r.stdout, 'stdin-is-a-tty');
});

t.test('exec -d -t --console-socket (as conmon and the containerd shim call it)', async (t) => {
  const { id } = running();
  const sock = path.join(env.dir, 'exec-console.sock');
  const got = receiveConsole(sock);
  await new Promise((r) => setTimeout(r, 50));
  const file = path.join(env.dir, 'tty-process.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ terminal: true, consoleSize: { height: 21, width: 77 }, args: ['sh'], cwd: '/' }),
  );
  const pidFile = path.join(env.dir, 'tty-exec.pid');
  const e = env.detached(['exec', '--process', file, '--detach', '--pid-file', pidFile, '--console-socket', sock, id]);
  t.equal(e.code, 0, e.stderr);
  env.pids.add(Number(fs.readFileSync(pidFile, 'utf8')));
  const master = await got;
  t.equal(fs.readlinkSync(`/proc/self/fd/${master}`), '/dev/pts/ptmx', 'a pty master arrived');
  fs.writeSync(master, 'stty size; tty; exit 4\n');
  let out = '';
  const buf = Buffer.alloc(4096);
  for (let i = 0; i < 100 && !/21 77[\s\S]*\/dev\/pts\/\d+/.test(out); i++) {
    if (!addon().pollIn(master, 50)) continue;
    try {
      out += buf.subarray(0, fs.readSync(master, buf, 0, buf.length, null)).toString();
    } catch {
      break;
    }
  }
  t.match(out, /21 77/, 'consoleSize applied');
  t.match(out, /\/dev\/pts\/\d+/, "the shell's stdin is the pty");
  fs.closeSync(master);
});

t.test("foreground run and exec forward signals and exit with the process's status", async (t) => {
  const { id } = running();
  const trap = ['sh', '-c', 'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.05; done'];
  for (const args of [
    ['exec', id, ...trap],
    ['run', '--bundle', env.bundle(testSpec(trap)), env.id()],
  ]) {
    const p = spawn(CARTON, ['--root', env.root, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 250 && !out.includes('ready'); i++) await new Promise((r) => setTimeout(r, 20));
    p.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => p.on('exit', (c) => resolve(c)));
    t.equal(code, 3, `${args[0]}: the process's exit status`);
    t.match(out, 'got-term', `${args[0]}: SIGTERM reached the process`);
  }
});

t.test('LISTEN_FDS/LISTEN_PID for carton pass through as runc does', async (t) => {
  const extra = path.join(env.dir, 'listen');
  fs.writeFileSync(extra, 'socket-3\n');
  const fd = fs.openSync(extra, 'r');
  const b = env.bundle(testSpec(['sh', '-c', 'echo "$LISTEN_FDS $LISTEN_PID"; cat <&3']));
  // exec replaces sh, so $$ is carton's pid, as systemd would set it.
  const r = spawnSync(
    '/bin/sh',
    ['-c', `LISTEN_PID=$$ LISTEN_FDS=1 exec ${CARTON} --root ${env.root} run --bundle ${b} ${env.id()}`],
    { stdio: ['ignore', 'pipe', 'pipe', fd], encoding: 'utf8' },
  );
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '1 1\nsocket-3\n', 'LISTEN_FDS=1, LISTEN_PID=1 and the fd at 3');
  const other = spawnSync(CARTON, ['--root', env.root, 'run', '--bundle', b, env.id()], {
    stdio: ['ignore', 'pipe', 'pipe', fd],
    encoding: 'utf8',
    env: { ...process.env, LISTEN_FDS: '1', LISTEN_PID: '1' },
  });
  t.equal(other.stdout.split('\n')[0], ' ', 'LISTEN_PID of another process: nothing passed');
  fs.closeSync(fd);
});
