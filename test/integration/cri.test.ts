// Kubernetes CRI (runtime.v1) through containerd 1.6's CRI plugin, with the
// runc v2 shim pointed at carton (`BinaryName`), driven by our own grpc-js
// client (../cri.ts). containerd runs on its own config, root, state and
// socket in a temp dir; images are imported from the busybox rootfs (no
// registry) and pods use the host network (no CNI). The same pod flow runs
// with a second handler on real runc and the results are compared.
// Host quirks: ../shared/reference/engines-on-this-host.md.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t, { type Test } from 'tap';
import { CriClient, type ContainerConfig, type PodSandboxConfig } from '../cri';
import {
  busyboxArchive,
  IMAGE,
  killShims,
  PAUSE_IMAGE,
  pauseArchive,
  removeCgroupTrees,
  rmdirIfEmpty,
  startContainerd,
  stopDaemon,
  unmountUnder,
} from '../engines';
import { CARTON, Env } from '../helpers';

const env = new Env('cri');
const dir = env.dir;
const containerdBin = ['/usr/bin/containerd', '/usr/local/bin/containerd'].find((p) => fs.existsSync(p));
const ctrBin = ['/usr/bin/ctr', '/usr/local/bin/ctr'].find((p) => fs.existsSync(p));
const runcBin = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => fs.existsSync(p));
const SOCK = path.join(dir, 'containerd.sock');
// CRI always uses containerd namespace k8s.io; the shims' Root option keeps
// their runtime state in our temp dir instead of the shared /run/containerd/runc.
const NS = 'k8s.io';
const SHIM_ROOT = { carton: path.join(dir, 'shim-carton'), runc: path.join(dir, 'shim-runc') };
// The pods' cgroup parent: ours alone, removed in teardown.
const CG_PARENT = `/carton-cri-${process.pid}`;
type Handler = 'carton' | 'runc';

let daemonPid = 0;
let cri: CriClient | undefined;
const pods = new Set<string>();

function ctr(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(ctrBin!, ['--address', SOCK, '--namespace', NS, ...args], { encoding: 'utf8', timeout: 120000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

t.teardown(async () => {
  if (cri) {
    for (const id of pods) {
      await cri.stopPodSandbox(id).catch(() => undefined);
      await cri.removePodSandbox(id).catch(() => undefined);
    }
    cri.close();
  }
  if (daemonPid) {
    killShims(SOCK, [daemonPid]);
    await stopDaemon(daemonPid);
  }
  unmountUnder(dir);
  // The shims' sockets go under /run/containerd/s whatever the config says.
  rmdirIfEmpty(['/run/containerd/s', '/run/containerd']);
  removeCgroupTrees([CG_PARENT]);
  const left = fs
    .readdirSync('/sys/fs/cgroup')
    .map((h) => path.join('/sys/fs/cgroup', h, CG_PARENT))
    .filter((d) => fs.existsSync(d));
  const leaks = env.cleanup();
  if (left.length) leaks.push(`cgroup parent left: ${left.join(' ')}`);
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

function sandboxConfig(name: string): PodSandboxConfig {
  return {
    metadata: { name, uid: `${name}-uid`, namespace: 'carton-test', attempt: 0 },
    log_directory: path.join(dir, 'pods', name),
    linux: {
      cgroup_parent: CG_PARENT,
      // pid CONTAINER as the kubelet sets it for v1 pods; the host network needs no CNI.
      security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } },
    },
  };
}

const MAIN_SCRIPT = 'echo started-$((6*7)); trap "exit 7" TERM; sleep 1000 & wait';

function containerConfig(): ContainerConfig {
  return {
    metadata: { name: 'main', attempt: 0 },
    image: { image: IMAGE },
    command: ['sh', '-c', MAIN_SCRIPT],
    log_path: 'main.log',
    linux: { security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
  };
}

interface FlowResult {
  exec: { stdout: string; stderr: string; exitCode: number };
  pidNs: { self: string; one: string };
  exitCode: number;
  missing: string;
  quick: [string, number];
  log: string;
}

/** The kubelet's path for one pod: sandbox, container, exec, stop, remove. */
async function podFlow(t: Test, handler: Handler): Promise<FlowResult> {
  const c = cri!;
  const sbConfig = sandboxConfig(`pod-${handler}-${process.pid}`);
  fs.mkdirSync(sbConfig.log_directory!, { recursive: true });
  const pod = await c.runPodSandbox(sbConfig, handler);
  pods.add(pod);
  const sb = await c.podSandboxStatus(pod);
  t.equal(sb.status.state, 'SANDBOX_READY', 'the sandbox is ready');
  t.equal(sb.status.runtime_handler, handler);

  const id = await c.createContainer(pod, containerConfig(), sbConfig);
  t.equal((await c.containerStatus(id)).status.state, 'CONTAINER_CREATED');
  await c.startContainer(id);
  t.equal((await c.containerStatus(id)).status.state, 'CONTAINER_RUNNING', 'RUNNING after StartContainer');
  t.same(
    (await c.listContainers(pod)).map((x) => [x.id, x.state]),
    [[id, 'CONTAINER_RUNNING']],
    'ListContainers shows it',
  );

  // The real signal that this runtime ran it: its own state for the sandbox and
  // the container, in the root the shim passed it (runc cannot read carton's and vice versa).
  const bin = handler === 'carton' ? CARTON : runcBin!;
  const list = spawnSync(bin, ['--root', path.join(SHIM_ROOT[handler], NS), 'list', '--format', 'json'], {
    encoding: 'utf8',
  });
  t.equal(list.status, 0, list.stderr);
  const listed = (JSON.parse(list.stdout || '[]') as { id: string; status: string }[] | null) ?? [];
  t.same(
    listed
      .filter((x) => x.id === pod || x.id === id)
      .map((x) => [x.id, x.status])
      .sort(),
    [
      [id, 'running'],
      [pod, 'running'],
    ].sort(),
    `${handler} list shows the sandbox and the container running`,
  );

  const exec = await c.execSync(id, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
  t.same(exec, { stdout: 'out\n', stderr: 'err\n', exitCode: 3 }, 'ExecSync: stdout, stderr and exit code');
  const ns = await c.execSync(id, [
    'sh',
    '-c',
    'readlink /proc/self/ns/pid; readlink /proc/1/ns/pid; cat /proc/1/cmdline | tr "\\0" " "',
  ]);
  t.equal(ns.exitCode, 0, ns.stderr);
  const [self, one, cmd1] = ns.stdout.trim().split('\n');
  t.equal(self, one, "the exec'd process is in the container's pid namespace");
  t.equal(cmd1?.trim(), `sh -c ${MAIN_SCRIPT}`, 'whose pid 1 is the container command');

  // The shim reads the runtime's last error from log.json and containerd returns it.
  const missing = await c.execSync(id, ['no-such-command']).then(
    () => 'succeeded',
    (e: Error) => e.message,
  );
  t.match(missing, 'executable file not found in $PATH', 'ExecSync of a missing command reports the runtime error');

  // A second container that exits on its own: its exit code without any StopContainer.
  const quick = await c.createContainer(
    pod,
    {
      ...containerConfig(),
      metadata: { name: 'quick', attempt: 0 },
      command: ['sh', '-c', 'exit 5'],
      log_path: 'quick.log',
    },
    sbConfig,
  );
  await c.startContainer(quick);
  let q = (await c.containerStatus(quick)).status;
  for (let i = 0; i < 100 && q.state !== 'CONTAINER_EXITED'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    q = (await c.containerStatus(quick)).status;
  }
  t.same(
    [q.state, q.exit_code, q.reason],
    ['CONTAINER_EXITED', 5, 'Error'],
    'a container exiting by itself reports its exit code',
  );
  await c.removeContainer(quick);

  await c.stopContainer(id, 10);
  const st = (await c.containerStatus(id)).status;
  t.equal(st.state, 'CONTAINER_EXITED', 'EXITED after StopContainer');
  t.equal(st.exit_code, 7, 'SIGTERM ran the trap: exit code 7 reaches the kubelet');
  const log = fs.readFileSync(path.join(sbConfig.log_directory!, 'main.log'), 'utf8');
  t.match(log, /^\S+ stdout F started-42$/m, 'the container wrote its output into the CRI log');

  await c.removeContainer(id);
  t.same(await c.listContainers(pod), [], 'RemoveContainer removes it');
  await c.stopPodSandbox(pod);
  t.equal((await c.podSandboxStatus(pod)).status.state, 'SANDBOX_NOTREADY', 'NOTREADY after StopPodSandbox');
  await c.removePodSandbox(pod);
  pods.delete(pod);
  await t.rejects(c.podSandboxStatus(pod), /not found|does not exist/, 'RemovePodSandbox removes it');
  const after = spawnSync(bin, ['--root', path.join(SHIM_ROOT[handler], NS), 'list', '-q'], { encoding: 'utf8' });
  t.notMatch(after.stdout, pod, `no ${handler} state left for the sandbox`);
  return {
    exec,
    pidNs: { self: self ?? '', one: one ?? '' },
    exitCode: st.exit_code,
    missing,
    quick: [q.state, q.exit_code],
    log: log.replace(/^\S+ /gm, ''),
  };
}

if (!containerdBin || !ctrBin) {
  t.test('CRI', { skip: 'containerd is not installed (scripts/setup.sh installs it)' }, async () => {});
} else {
  const runtimes: Record<string, { runtimeType: string; binaryName?: string; root?: string }> = {
    carton: { runtimeType: 'io.containerd.runc.v2', binaryName: CARTON, root: SHIM_ROOT.carton },
  };
  if (runcBin) runtimes.runc = { runtimeType: 'io.containerd.runc.v2', binaryName: runcBin, root: SHIM_ROOT.runc };

  t.before(async () => {
    daemonPid = (await startContainerd(containerdBin, dir, { cri: { runtimes, sandboxImage: PAUSE_IMAGE } })).pid;
    cri = new CriClient(SOCK);
  });

  t.test('CRI Version and the images imported with ctr', async (t) => {
    const v = await cri!.version();
    t.equal(v.runtime_name, 'containerd');
    t.equal(v.runtime_api_version, 'v1');
    for (const archive of [busyboxArchive(dir), pauseArchive(dir)]) {
      const r = ctr(['image', 'import', archive]);
      t.equal(r.code, 0, r.stderr);
    }
    for (const image of [IMAGE, PAUSE_IMAGE]) {
      const s = await cri!.imageStatus(image);
      t.ok(s?.repo_tags.includes(image), `CRI sees ${image}`);
    }
  });

  let viaCarton: FlowResult | undefined;
  t.test('pod with handler carton: sandbox, container, ExecSync, stop, remove', async (t) => {
    viaCarton = await podFlow(t, 'carton');
  });

  t.test(
    'the same pod with handler runc gives the same results',
    { skip: runcBin ? false : 'runc is not installed' },
    async (t) => {
      const viaRunc = await podFlow(t, 'runc');
      t.ok(viaCarton, 'the carton flow ran');
      t.same(viaCarton?.exec, viaRunc.exec, 'same ExecSync result');
      t.equal(viaCarton?.exitCode, viaRunc.exitCode, 'same exit code');
      t.same(viaCarton?.quick, viaRunc.quick, 'same exit code for the container that exits by itself');
      t.equal(viaCarton?.log, viaRunc.log, 'same log');
    },
  );
}
