// containerd 1.6 (Debian's) started by this test on its own config, root,
// state and socket in a temp dir, driving carton through the runc v2 shim
// (`ctr run --runc-binary <carton>`), with an image imported from the busybox
// rootfs. Where it is cheap the same step runs with runc and is compared.
// Host quirks: ../shared/reference/engines-on-this-host.md.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import {
  busyboxArchive,
  IMAGE,
  killShims,
  removeAllTasks,
  rmdirIfEmpty,
  sleep,
  startContainerd,
  stopDaemon,
  unmountUnder,
} from '../engines';
import { CARTON, Env } from '../helpers';

const env = new Env('containerd');
const dir = env.dir;
const containerdBin = ['/usr/bin/containerd', '/usr/local/bin/containerd'].find((p) => fs.existsSync(p));
const ctrBin = ['/usr/bin/ctr', '/usr/local/bin/ctr'].find((p) => fs.existsSync(p));
const runcBin = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => fs.existsSync(p));
// A namespace of our own: the shim keeps runtime state in /run/containerd/runc/<ns>
// and ctr's default cgroup is /<ns>/<id>.
const NS = `carton-t${process.pid}`;
const SOCK = path.join(dir, 'containerd.sock');
let daemonPid = 0;

interface Out {
  code: number | null;
  stdout: string;
  stderr: string;
}

function ctr(args: string[], opts: { timeout?: number } = {}): Out {
  const r = spawnSync(ctrBin!, ['--address', SOCK, '--namespace', NS, ...args], {
    encoding: 'utf8',
    timeout: opts.timeout ?? 60000,
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function runtimeFlag(runtime: 'carton' | 'runc'): string[] {
  return ['--runc-binary', runtime === 'carton' ? CARTON : runcBin!];
}

t.teardown(async () => {
  if (daemonPid) {
    await removeAllTasks(ctr);
    killShims(SOCK, [daemonPid]);
    await stopDaemon(daemonPid);
  }
  unmountUnder(dir);
  fs.rmSync(`/run/containerd/runc/${NS}`, { recursive: true, force: true });
  // ctr's fifos and the shims' sockets go under /run/containerd whatever the config says.
  rmdirIfEmpty(['/run/containerd/runc', '/run/containerd/fifo', '/run/containerd/s', '/run/containerd']);
  rmdirIfEmpty(fs.readdirSync('/sys/fs/cgroup').map((h) => path.join('/sys/fs/cgroup', h, NS)));
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

if (!containerdBin || !ctrBin) {
  t.test('containerd', { skip: 'containerd is not installed (scripts/setup.sh installs it)' }, async () => {});
} else {
  t.before(async () => {
    daemonPid = (await startContainerd(containerdBin, dir)).pid;
  });

  t.test('ctr image import of an image made from the busybox rootfs', async (t) => {
    const r = ctr(['image', 'import', busyboxArchive(dir)], { timeout: 120000 });
    t.equal(r.code, 0, r.stderr);
    t.match(ctr(['image', 'ls', '-q']).stdout, IMAGE);
  });

  t.test('ctr run: output and exit status, same as with runc', async (t) => {
    const script = 'echo hello; id; readlink /proc/1/exe; grep -c . /proc/self/cgroup >/dev/null && echo cg; exit 7';
    const c = ctr(['run', '--rm', ...runtimeFlag('carton'), IMAGE, `r1-${process.pid}`, 'sh', '-c', script]);
    t.equal(c.code, 7, c.stderr);
    t.match(c.stdout, /^hello\nuid=0\(root\) gid=0\(root\)[^\n]*\n\/bin\/busybox\ncg\n$/);
    if (runcBin) {
      const r = ctr(['run', '--rm', ...runtimeFlag('runc'), IMAGE, `r2-${process.pid}`, 'sh', '-c', script]);
      t.same([c.code, c.stdout], [r.code, r.stdout], 'same as with runc');
    }
    const bad = ctr(['run', '--rm', ...runtimeFlag('carton'), IMAGE, `r3-${process.pid}`, 'no-such-command']);
    t.not(bad.code, 0, 'a missing command fails the run');
    t.match(bad.stderr, 'executable file not found in $PATH', "containerd reads carton's error from log.json");
    ctr(['container', 'rm', `r3-${process.pid}`]);
  });

  t.test('detached task: exec, ps, pause/resume, kill, exit status, delete', async (t) => {
    const id = `d1-${process.pid}`;
    const d = ctr([
      'run',
      '-d',
      ...runtimeFlag('carton'),
      IMAGE,
      id,
      'sh',
      '-c',
      'trap "exit 3" TERM; while :; do sleep 0.1; done',
    ]);
    t.equal(d.code, 0, d.stderr);
    t.match(ctr(['task', 'ls']).stdout, new RegExp(`${id}\\s+\\d+\\s+RUNNING`));

    const e = ctr([
      'task',
      'exec',
      '--exec-id',
      'e1',
      id,
      'sh',
      '-c',
      'echo exec-$((6*7)); readlink /proc/1/ns/pid; readlink /proc/self/ns/pid; exit 4',
    ]);
    t.equal(e.code, 4, `exec exit status: ${e.stderr}`);
    const [out, ns1, nsSelf] = e.stdout.trim().split('\n');
    t.equal(out, 'exec-42');
    t.equal(nsSelf, ns1, "the exec'd process is in the container's pid namespace");

    const ps = ctr(['task', 'ps', id]);
    t.equal(ps.code, 0, ps.stderr);
    const pids = ps.stdout.trim().split('\n').slice(1);
    t.ok(pids.length >= 1, `ctr task ps lists the container's processes (carton ps --format json): ${ps.stdout}`);
    const taskPid = ctr(['task', 'ls']).stdout.match(new RegExp(`${id}\\s+(\\d+)`))?.[1];
    t.ok(
      pids.some((l) => l.split(/\s+/)[0] === taskPid),
      'including its init',
    );

    const p = ctr(['task', 'pause', id]);
    t.equal(p.code, 0, p.stderr);
    t.match(ctr(['task', 'ls']).stdout, new RegExp(`${id}\\s+\\d+\\s+PAUSED`));
    const st = fs.readFileSync(`/proc/${taskPid}/status`, 'utf8');
    t.match(st, /State:\s+[SD]/, 'the frozen task is asleep');
    const r = ctr(['task', 'resume', id]);
    t.equal(r.code, 0, r.stderr);
    t.match(ctr(['task', 'ls']).stdout, new RegExp(`${id}\\s+\\d+\\s+RUNNING`));

    const k = ctr(['task', 'kill', id]);
    t.equal(k.code, 0, k.stderr);
    let status = '';
    for (let i = 0; i < 50 && !/STOPPED/.test(status); i++) {
      await sleep(100);
      status = ctr(['task', 'ls']).stdout;
    }
    t.match(status, new RegExp(`${id}\\s+\\d+\\s+STOPPED`), 'SIGTERM stops it');
    const del = ctr(['task', 'delete', id]);
    t.equal(del.code, 0, del.stderr);
    t.match(del.stderr, 'exit code 3', 'the exit status reaches containerd');
    t.equal(ctr(['container', 'rm', id]).code, 0);
    t.notMatch(ctr(['task', 'ls']).stdout, id);
  });

  // The shim's create reads the runtime's stdout/stderr to EOF; with a
  // terminal, carton-init must have swapped its stdio for the pty by then.
  t.test('ctr run -t through a terminal, same as with runc', async (t) => {
    const run = (runtime: 'carton' | 'runc', id: string): Out => {
      const cmd = [
        ctrBin,
        '--address',
        SOCK,
        '--namespace',
        NS,
        'run',
        '--rm',
        '-t',
        ...runtimeFlag(runtime),
        IMAGE,
        id,
        'sh',
        '-c',
        "'tty; sleep 0.3; exit 5'",
      ].join(' ');
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
        encoding: 'utf8',
        timeout: 30000,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    };
    const c = run('carton', `tty1-${process.pid}`);
    t.equal(c.code, 5, c.stderr);
    t.match(c.stdout, /\/dev\/pts\/0/, "the container's stdin is its console");
    if (runcBin) {
      const r = run('runc', `tty2-${process.pid}`);
      t.equal(c.code, r.code, 'same exit status as with runc');
      t.match(r.stdout, /\/dev\/pts\/0/);
    }
  });

  t.test('a container OOM-killed under its memory limit reports it', async (t) => {
    const id = `oom-${process.pid}`;
    const evOut = path.join(dir, 'events');
    const fd = fs.openSync(evOut, 'w');
    const events = spawn(ctrBin, ['--address', SOCK, '--namespace', NS, 'events'], { stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    try {
      await sleep(200);
      const d = ctr([
        'run',
        '-d',
        ...runtimeFlag('carton'),
        '--memory-limit',
        String(32 << 20),
        IMAGE,
        id,
        'sh',
        '-c',
        'x=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; while :; do x=$x$x; done',
      ]);
      t.equal(d.code, 0, d.stderr);
      let text = '';
      for (let i = 0; i < 100 && !/\/tasks\/exit/.test(text); i++) {
        await sleep(100);
        text = fs.readFileSync(evOut, 'utf8');
      }
      t.match(text, new RegExp(`/tasks/oom \\{"container_id":"${id}"\\}`), 'containerd sees the OOM event');
      t.match(text, /\/tasks\/exit .*"exit_status":137/, 'and the SIGKILL exit (137)');
      const del = ctr(['task', 'delete', id]);
      t.equal(del.code, 0, del.stderr);
      t.equal(ctr(['container', 'rm', id]).code, 0);
    } finally {
      events.kill();
    }
  });
}
