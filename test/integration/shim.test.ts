// containerd-shim-carton-v2 under Debian's containerd 1.6 (own temp root,
// state, sockets; PATH with this checkout's bin/ so containerd finds the
// shim): `ctr --runtime io.containerd.carton.v2` run / exec / kill / pause /
// resume / ps / delete / tty / OOM with real containers, events, one shim
// per namespace, and the CRI pod flow through runtime_type
// io.containerd.carton.v2 with the pod's containers on one shim.
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { CriClient, type ContainerConfig, type PodSandboxConfig } from '../cri';
import {
  busyboxArchive,
  IMAGE,
  killShims,
  PAUSE_IMAGE,
  pauseArchive,
  pidsMentioning,
  removeAllTasks,
  removeCgroupTrees,
  rmdirIfEmpty,
  sleep,
  startContainerd,
  stopDaemon,
  unmountUnder,
} from '../engines';
import { CARTON, Env, REPO } from '../helpers';
import { SHARED_GROUP, socketAddress, socketPath } from '../../src/shim/address';
import { STATE_ROOT } from '../../src/shim/delete';

const env = new Env('shim');
const dir = env.dir;
const containerdBin = ['/usr/bin/containerd', '/usr/local/bin/containerd'].find((p) => fs.existsSync(p));
const ctrBin = ['/usr/bin/ctr', '/usr/local/bin/ctr'].find((p) => fs.existsSync(p));
const RT = 'io.containerd.carton.v2';
// A namespace of our own for ctr; CRI always uses k8s.io.
const NS = `carton-shim-${process.pid}`;
const CRI_NS = 'k8s.io';
const SOCK = path.join(dir, 'containerd.sock');
const CG_PARENT = `/carton-shim-cri-${process.pid}`;
let daemonPid = 0;
let cri: CriClient | undefined;
let events: ChildProcess | undefined;
let eventsOut = '';
const pods = new Set<string>();
/** ids of the CRI sandbox and containers: carton state in the shared /run/containerd/carton/k8s.io */
const criIds = new Set<string>();

interface Out {
  code: number | null;
  stdout: string;
  stderr: string;
}

function ctr(args: string[], opts: { timeout?: number; ns?: string } = {}): Out {
  const r = spawnSync(ctrBin!, ['--address', SOCK, '--namespace', opts.ns ?? NS, ...args], {
    encoding: 'utf8',
    timeout: opts.timeout ?? 60000,
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * Our serving shims: the carton shim's Node processes serving our containerd
 * (its -address names our socket), not the carton-keeper each runs under.
 */
function cartonShims(): number[] {
  return pidsMentioning(SOCK).filter((p) => {
    try {
      const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
      return argv.includes('containerd-shim-carton-v2') && !argv.split('\0')[0]!.endsWith('carton-keeper');
    } catch {
      return false;
    }
  });
}

function ppid(pid: number): number {
  const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
}

function taskPid(id: string): number {
  const line = ctr(['task', 'ls'])
    .stdout.split('\n')
    .find((l) => l.split(/\s+/)[0] === id);
  return line ? Number(line.split(/\s+/)[1]) : 0;
}

/** `ctr events` output arrives asynchronously: wait (bounded) for a line. */
function seen(re: RegExp): Promise<boolean> {
  return until(() => re.test(eventsOut));
}

async function until(what: () => boolean, tries = 100): Promise<boolean> {
  for (let i = 0; i < tries && !what(); i++) await sleep(100);
  return what();
}

t.teardown(async () => {
  events?.kill('SIGKILL');
  if (cri) {
    for (const id of pods) {
      await cri.stopPodSandbox(id).catch(() => undefined);
      await cri.removePodSandbox(id).catch(() => undefined);
    }
    cri.close();
  }
  if (daemonPid) {
    await removeAllTasks(ctr);
  }
  // Our carton shims: SIGTERM, so they remove their sockets; then anything left of ours goes.
  for (const p of cartonShims()) process.kill(p, 'SIGTERM');
  await until(() => cartonShims().length === 0, 50);
  killShims(SOCK, daemonPid ? [daemonPid] : []);
  if (daemonPid) await stopDaemon(daemonPid);
  for (const [ns, group] of [
    [NS, SHARED_GROUP] as const,
    [CRI_NS, SHARED_GROUP] as const,
    ...[...criIds].map((id) => [CRI_NS, id] as const),
  ])
    fs.rmSync(socketPath(socketAddress(SOCK, ns, group)), { force: true });
  unmountUnder(dir);
  // carton state of containers a killed shim left behind: all of our own
  // namespace, only our pod's ids in the shared k8s.io.
  const ours = path.join(STATE_ROOT, NS);
  if (fs.existsSync(ours))
    for (const id of fs.readdirSync(ours)) spawnSync(CARTON, ['--root', ours, 'delete', '--force', id]);
  fs.rmSync(ours, { recursive: true, force: true });
  const k8s = path.join(STATE_ROOT, CRI_NS);
  for (const id of criIds)
    if (fs.existsSync(path.join(k8s, id))) spawnSync(CARTON, ['--root', k8s, 'delete', '--force', id]);
  rmdirIfEmpty([
    k8s,
    path.join(STATE_ROOT, '.shim'),
    STATE_ROOT,
    '/run/containerd/fifo',
    '/run/containerd/s',
    '/run/containerd',
  ]);
  removeCgroupTrees([CG_PARENT, NS]);
  const leaks = env.cleanup();
  const left = fs
    .readdirSync('/sys/fs/cgroup')
    .flatMap((h) => [CG_PARENT, NS].map((p) => path.join('/sys/fs/cgroup', h, p)))
    .filter((d) => fs.existsSync(d));
  if (left.length) leaks.push(`cgroups left: ${left.join(' ')}`);
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

if (!containerdBin || !ctrBin) {
  t.test('containerd shim', { skip: 'containerd is not installed (scripts/setup.sh installs it)' }, async () => {});
} else if (!fs.existsSync(path.join(REPO, 'dist', 'shim.js'))) {
  t.test('containerd shim', { skip: 'dist/shim.js is not built (npm run build:ts)' }, async () => {});
} else {
  const envPath = `${path.join(REPO, 'bin')}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`;
  const containerdOpts = {
    // A short linger, so the test sees idle shims go (the default is 30 s).
    env: { ...process.env, PATH: envPath, CARTON_SHIM_LINGER_MS: '3000' },
    cri: { runtimes: { 'carton-shim': { runtimeType: RT } }, sandboxImage: PAUSE_IMAGE },
  };
  const watchEvents = () => {
    events = spawn(ctrBin, ['--address', SOCK, 'events'], { stdio: ['ignore', 'pipe', 'ignore'] });
    events.stdout!.on('data', (d) => (eventsOut += String(d)));
  };
  t.before(async () => {
    daemonPid = (await startContainerd(containerdBin, dir, containerdOpts)).pid;
    cri = new CriClient(SOCK);
    for (const [ns, archive] of [
      [NS, busyboxArchive(dir)],
      [CRI_NS, busyboxArchive(dir)],
      [CRI_NS, pauseArchive(dir)],
    ] as const) {
      const r = ctr(['image', 'import', archive], { ns, timeout: 120000 });
      if (r.code !== 0) throw new Error(`image import: ${r.stderr}`);
    }
    watchEvents();
  });

  t.test('containerd restarts: the shim and its task live on, events resume', async (t) => {
    const id = `rs-${process.pid}`;
    t.equal(ctr(['run', '-d', '--runtime', RT, IMAGE, id, 'sleep', '1000']).code, 0);
    const pid = taskPid(id);
    env.pids.add(pid);
    const shims = cartonShims();
    t.equal(shims.length, 1);
    events?.kill('SIGKILL');
    await stopDaemon(daemonPid);
    daemonPid = 0;
    t.ok(fs.existsSync(`/proc/${pid}`) && ppid(pid) === shims[0], 'the task outlives containerd, still under its shim');
    fs.rmSync(SOCK, { force: true });
    daemonPid = (await startContainerd(containerdBin, dir, containerdOpts)).pid;
    watchEvents();
    t.ok(
      await until(() => new RegExp(`${id}\\s+${pid}\\s+RUNNING`).test(ctr(['task', 'ls']).stdout)),
      'the new containerd finds it running',
    );
    t.same(cartonShims(), shims, 'on the same shim');
    t.equal(ctr(['task', 'kill', '-s', 'KILL', id]).code, 0);
    t.ok(await seen(new RegExp(`/tasks/exit .*${id}.*"exit_status":137`)), 'its exit reaches the new containerd');
    t.equal(ctr(['task', 'delete', id]).code, 0);
    t.equal(ctr(['container', 'rm', id]).code, 0);
  });

  t.test('ctr run --rm: output and exit code; events reach containerd', async (t) => {
    const id = `r1-${process.pid}`;
    const c = ctr([
      'run',
      '--rm',
      '--runtime',
      RT,
      IMAGE,
      id,
      'sh',
      '-c',
      'echo hello; echo err >&2; readlink /proc/1/exe; exit 7',
    ]);
    t.equal(c.code, 7, c.stderr);
    t.equal(c.stdout, 'hello\n/bin/busybox\n');
    t.equal(c.stderr, 'err\n');
    t.ok(await seen(new RegExp(`/tasks/delete .*${id}`)), 'events seen');
    for (const topic of ['/tasks/create', '/tasks/start', '/tasks/exit', '/tasks/delete']) {
      t.match(eventsOut, new RegExp(`${NS} ${topic.replace(/\//g, '\\/')} .*${id}`), `${topic} published`);
    }
    t.ok(await seen(new RegExp(`/tasks/exit .*"exit_status":7`)), 'TaskExit carries the status');
    t.equal(ctr(['container', 'ls', '-q']).stdout.includes(id), false, '--rm removed it');

    // The idle shim lingers: the next short container reuses it.
    const shims = cartonShims();
    t.equal(shims.length, 1, 'one idle shim');
    const again = ctr(['run', '--rm', '--runtime', RT, IMAGE, `${id}b`, 'sh', '-c', 'exit 0']);
    t.equal(again.code, 0, again.stderr);
    t.same(cartonShims(), shims, 'the second container ran on the same shim');
  });

  t.test('detached: exec, ps, pause/resume, kill, delete; two containers on one shim', async (t) => {
    const a = `d1-${process.pid}`;
    const b = `d2-${process.pid}`;
    for (const id of [a, b]) {
      const r = ctr(['run', '-d', '--runtime', RT, IMAGE, id, 'sh', '-c', 'trap "exit 9" TERM; sleep 1000 & wait']);
      t.equal(r.code, 0, r.stderr);
    }
    const pa = taskPid(a);
    const pb = taskPid(b);
    t.ok(pa > 0 && pb > 0, 'both running');
    env.pids.add(pa);
    env.pids.add(pb);
    const shims = cartonShims();
    t.equal(shims.length, 1, 'one shim process serves both containers of the namespace');
    t.equal(ppid(pa), shims[0], 'the shim is the parent of the first init');
    t.equal(ppid(pb), shims[0], 'and of the second');
    t.match(fs.readFileSync(`/proc/${pa}/cmdline`, 'utf8'), /^sh\0-c\0/, 'the init runs the container command');

    const ex = ctr([
      'task',
      'exec',
      '--exec-id',
      'e1',
      a,
      'sh',
      '-c',
      'echo in-$(cat /proc/1/cmdline | tr "\\0" " "); exit 3',
    ]);
    t.equal(ex.code, 3, ex.stderr);
    t.equal(
      ex.stdout,
      'in-sh -c trap "exit 9" TERM; sleep 1000 & wait\n',
      "the exec runs in the container's pid namespace",
    );
    t.ok(await seen(new RegExp(`/tasks/exec-added .*${a}`)), 'TaskExecAdded published');
    t.ok(await seen(new RegExp(`/tasks/exec-started .*${a}`)), 'TaskExecStarted published');

    const ps = ctr(['task', 'ps', a]);
    t.equal(ps.code, 0, ps.stderr);
    const pids = ps.stdout
      .split('\n')
      .slice(1)
      .map((l) => Number(l.trim().split(/\s+/)[0]))
      .filter(Boolean);
    t.ok(pids.includes(pa), 'ps lists the init');
    t.ok(pids.length >= 2, 'and its sleep');

    // Stats: cgroup v1 metrics, encoded by the transport from the service's plain object.
    const m = ctr(['task', 'metrics', a]);
    t.equal(m.code, 0, m.stderr);
    t.match(m.stdout, /pids\.current\s+[2-9]/, 'pids.current: the init and its sleep');
    t.match(m.stdout, /memory\.usage_in_bytes\s+[1-9]\d*/, 'memory usage');

    t.equal(ctr(['task', 'pause', a]).code, 0);
    t.match(ctr(['task', 'ls']).stdout, new RegExp(`${a}\\s+${pa}\\s+PAUSED`));
    t.equal(
      fs.readFileSync(`/sys/fs/cgroup/freezer/${NS}/${a}/freezer.state`, 'utf8').trim(),
      'FROZEN',
      "the container's cgroup is frozen",
    );
    t.ok(await seen(new RegExp(`/tasks/paused .*${a}`)), 'TaskPaused published');
    t.equal(ctr(['task', 'resume', a]).code, 0);
    t.match(ctr(['task', 'ls']).stdout, new RegExp(`${a}\\s+${pa}\\s+RUNNING`));
    t.ok(await seen(new RegExp(`/tasks/resumed .*${a}`)), 'TaskResumed published');

    t.equal(ctr(['task', 'kill', a]).code, 0, 'SIGTERM');
    t.ok(
      await until(() =>
        /STOPPED/.test(
          ctr(['task', 'ls'])
            .stdout.split('\n')
            .find((l) => l.startsWith(a)) ?? '',
        ),
      ),
      'stopped',
    );
    t.ok(await seen(new RegExp(`/tasks/exit .*${a}.*"exit_status":9`)), 'the trap ran: exit 9');
    const del = ctr(['task', 'delete', a]);
    t.equal(del.code, 0, del.stderr);
    t.equal(ctr(['container', 'rm', a]).code, 0);
    t.same(cartonShims(), shims, 'the shim stays for the other container');

    t.equal(ctr(['task', 'kill', '-s', 'KILL', b]).code, 0);
    t.ok(await until(() => /STOPPED/.test(ctr(['task', 'ls']).stdout)), 'b stopped');
    t.equal(ctr(['task', 'delete', b]).code, 0);
    t.equal(ctr(['container', 'rm', b]).code, 0);
    t.ok(await until(() => cartonShims().length === 0), 'the last task gone, the shim exits');
    t.same(
      fs.existsSync(path.join(STATE_ROOT, NS)) ? fs.readdirSync(path.join(STATE_ROOT, NS)) : [],
      [],
      'no carton state left',
    );
  });

  t.test('tty: the container gets a terminal, its size, and the output', async (t) => {
    const id = `tty-${process.pid}`;
    // ctr -t needs a terminal of its own: script(1) gives it one.
    // ctr sets the size (ResizePty) only after Start: the container waits for it.
    const inner =
      'tty; i=0; while [ $i -lt 100 ]; do s=$(stty size 2>/dev/null); [ -n "$s" ] && [ "$s" != "0 0" ] && break; sleep 0.1; i=$((i+1)); done; echo "size $s"; exit 4';
    const cmd = `stty cols 91 rows 17; ${ctrBin} --address ${SOCK} --namespace ${NS} run --rm -t --runtime ${RT} ${IMAGE} ${id} sh -c '${inner}'`;
    const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 60000 });
    t.equal(r.status, 4, r.stderr);
    t.match(r.stdout, /\/dev\/pts\/\d+\r*\n/, 'a pty inside');
    t.match(r.stdout, /size 17 91\r*\n/, "with ctr's window size");
  });

  t.test('OOM: the task is killed, TaskOOM published', async (t) => {
    const id = `oom-${process.pid}`;
    const r = ctr([
      'run',
      '--rm',
      '--runtime',
      RT,
      '--memory-limit',
      String(32 << 20),
      IMAGE,
      id,
      'sh',
      '-c',
      'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived',
    ]);
    t.equal(r.code, 137, r.stderr);
    t.notMatch(r.stdout, /survived/);
    t.ok(await until(() => new RegExp(`/tasks/oom .*${id}`).test(eventsOut)), 'TaskOOM published');
  });

  t.test('CRI through runtime_type io.containerd.carton.v2: pod flow, every pod on the namespace shim', async (t) => {
    const c = cri!;
    const name = `pod-${process.pid}`;
    const sbConfig: PodSandboxConfig = {
      metadata: { name, uid: `${name}-uid`, namespace: 'carton-test', attempt: 0 },
      log_directory: path.join(dir, 'pods', name),
      linux: {
        cgroup_parent: CG_PARENT,
        security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } },
      },
    };
    fs.mkdirSync(sbConfig.log_directory!, { recursive: true });
    const before = new Set(cartonShims());
    const pod = await c.runPodSandbox(sbConfig, 'carton-shim');
    pods.add(pod);
    criIds.add(pod);
    t.equal((await c.podSandboxStatus(pod)).status.state, 'SANDBOX_READY');
    const cc = (n: string, cmd: string): ContainerConfig => ({
      metadata: { name: n, attempt: 0 },
      image: { image: IMAGE },
      command: ['sh', '-c', cmd],
      log_path: `${n}.log`,
      linux: { security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
    });
    const main = await c.createContainer(
      pod,
      cc('main', 'echo started; trap "exit 7" TERM; sleep 1000 & wait'),
      sbConfig,
    );
    criIds.add(main);
    await c.startContainer(main);
    const side = await c.createContainer(pod, cc('side', 'sleep 1000'), sbConfig);
    criIds.add(side);
    await c.startContainer(side);
    t.equal((await c.containerStatus(main)).status.state, 'CONTAINER_RUNNING');
    const root = path.join(STATE_ROOT, CRI_NS);
    const listed = JSON.parse(
      spawnSync(CARTON, ['--root', root, 'list', '--format', 'json'], { encoding: 'utf8' }).stdout || '[]',
    ) as Array<{ id: string; status: string; pid: number }>;
    t.same(
      listed.filter((x) => [pod, main, side].includes(x.id)).map((x) => x.status),
      ['running', 'running', 'running'],
      'carton runs the sandbox and both containers',
    );
    const podShims = cartonShims().filter((p) => !before.has(p));
    t.equal(podShims.length, 1, 'one shim for the pod');
    for (const x of listed.filter((y) => [pod, main, side].includes(y.id)))
      t.equal(ppid(x.pid), podShims[0], `${x.id === pod ? 'sandbox' : 'container'} init is the pod shim's child`);

    // A second pod: no new shim; the namespace's one serves it too (CARTON_SHIM_GROUP unset).
    const name2 = `${name}-b`;
    const sb2: PodSandboxConfig = {
      ...sbConfig,
      metadata: { ...sbConfig.metadata, name: name2, uid: `${name2}-uid` },
      log_directory: path.join(dir, 'pods', name2),
    };
    fs.mkdirSync(sb2.log_directory!, { recursive: true });
    const pod2 = await c.runPodSandbox(sb2, 'carton-shim');
    pods.add(pod2);
    criIds.add(pod2);
    const other = await c.createContainer(pod2, cc('other', 'sleep 1000'), sb2);
    criIds.add(other);
    await c.startContainer(other);
    t.same(
      cartonShims().filter((p) => !before.has(p)),
      podShims,
      'the second pod adds no shim',
    );
    const listed2 = JSON.parse(
      spawnSync(CARTON, ['--root', root, 'list', '--format', 'json'], { encoding: 'utf8' }).stdout || '[]',
    ) as Array<{ id: string; pid: number }>;
    for (const x of listed2.filter((y) => [pod2, other].includes(y.id)))
      t.equal(ppid(x.pid), podShims[0], `the second pod's ${x.id === pod2 ? 'sandbox' : 'container'} init too`);
    // Pod accounting: the shim sits in no pod's cgroup (nor does runc's: ShimCgroup is per runtime, empty by default).
    t.notMatch(fs.readFileSync(`/proc/${podShims[0]}/cgroup`, 'utf8'), CG_PARENT, "the shim is in no pod's cgroup");
    await c.stopContainer(other, 1);
    await c.removeContainer(other);
    await c.stopPodSandbox(pod2);
    await c.removePodSandbox(pod2);
    pods.delete(pod2);
    t.equal((await c.containerStatus(main)).status.state, 'CONTAINER_RUNNING', 'the first pod lives on');

    const ex = await c.execSync(main, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
    t.same(ex, { stdout: 'out\n', stderr: 'err\n', exitCode: 3 }, 'ExecSync');

    await c.stopContainer(main, 10);
    const st = (await c.containerStatus(main)).status;
    t.same([st.state, st.exit_code], ['CONTAINER_EXITED', 7], 'StopContainer: the trap exit code');
    t.match(
      fs.readFileSync(path.join(sbConfig.log_directory!, 'main.log'), 'utf8'),
      /^\S+ stdout F started$/m,
      'CRI log',
    );
    await c.removeContainer(main);
    await c.stopContainer(side, 1);
    await c.removeContainer(side);
    await c.stopPodSandbox(pod);
    await c.removePodSandbox(pod);
    pods.delete(pod);
    t.ok(await until(() => !podShims.some((p) => cartonShims().includes(p))), 'the shim exits with its last pod');
  });
}
