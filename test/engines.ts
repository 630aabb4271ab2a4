// Shared by the engine tests: an image made from the busybox rootfs (there
// is no registry), a containerd of their own, and the teardown pieces.
import { spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ROOTFS } from './helpers';

export const IMAGE = 'localhost/busybox:latest';
/** CRI's sandbox image: busybox whose default command keeps the sandbox alive (there is no registry for a real pause image). */
export const PAUSE_IMAGE = 'localhost/carton-pause:latest';

/** `<dir>/pause.tar`: the PAUSE_IMAGE archive, for `ctr -n k8s.io image import`. */
export function pauseArchive(dir: string): string {
  return busyboxArchive(dir, { tag: PAUSE_IMAGE, cmd: ['sleep', '2147483647'], file: 'pause.tar' });
}

/**
 * Writes `<dir>/busybox.tar` (docker-archive, one layer) and returns its path.
 * `opts` names another tag and default command, e.g. a "pause" image for CRI
 * whose command keeps the sandbox alive.
 */
export function busyboxArchive(dir: string, opts: { tag?: string; cmd?: string[]; file?: string } = {}): string {
  const work = fs.mkdtempSync(path.join(dir, 'img-'));
  const layer = spawnSync('tar', ['-C', ROOTFS, '-cf', path.join(work, 'layer.tar'), '.']);
  if (layer.status !== 0) throw new Error(`tar of ${ROOTFS} failed: ${String(layer.stderr)}`);
  const diffId = createHash('sha256')
    .update(fs.readFileSync(path.join(work, 'layer.tar')))
    .digest('hex');
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: opts.cmd ?? ['sh'] },
    rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
  });
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  fs.writeFileSync(path.join(work, configName), config);
  fs.writeFileSync(
    path.join(work, 'manifest.json'),
    JSON.stringify([{ Config: configName, RepoTags: [opts.tag ?? IMAGE], Layers: ['layer.tar'] }]),
  );
  const out = path.join(dir, opts.file ?? 'busybox.tar');
  const r = spawnSync('tar', ['-C', work, '-cf', out, 'manifest.json', configName, 'layer.tar']);
  if (r.status !== 0) throw new Error(`tar of the image failed: ${String(r.stderr)}`);
  fs.rmSync(work, { recursive: true, force: true });
  return out;
}

/** Pids of live processes whose command line mentions `needle` (engine shims started for our temp dir). */
export function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(needle)) pids.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return pids.filter((p) => p !== process.pid);
}

/** Unmounts (lazily, deepest first) every mount under `dir`: engines leave some under their temp root. */
export function unmountUnder(dir: string): void {
  const points = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined && (p === dir || p.startsWith(`${dir}/`)));
  for (const p of points.sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', p]);
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Empty directories only, deepest first: what an engine created on the host and left empty. */
export function rmdirIfEmpty(dirs: string[]): void {
  for (const d of dirs) {
    try {
      fs.rmdirSync(d);
    } catch {
      // not empty or not there: not only ours
    }
  }
}

/**
 * The cgroup trees named `tops` (relative to each hierarchy's root) in every
 * hierarchy under /sys/fs/cgroup: their empty directories, deepest first.
 * A cgroup that still has processes stays (and fails the leak check).
 */
export function removeCgroupTrees(tops: string[]): void {
  for (const h of fs.readdirSync('/sys/fs/cgroup')) {
    for (const name of tops) rmdirIfEmpty(treeDirs(path.join('/sys/fs/cgroup', h, name)));
  }
}

/** `top` and every directory below it, deepest first (none if `top` is not there). */
export function treeDirs(top: string): string[] {
  const dirs: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
    dirs.push(d);
  };
  if (fs.existsSync(top)) walk(top);
  return dirs;
}

/** Every task of a containerd namespace killed, deleted, and its container removed (`ctr` bound to it). */
export async function removeAllTasks(ctr: (args: string[]) => { stdout: string }): Promise<void> {
  for (const c of ctr(['task', 'ls', '-q']).stdout.split('\n').filter(Boolean)) ctr(['task', 'kill', '-s', 'KILL', c]);
  await sleep(300);
  for (const c of ctr(['container', 'ls', '-q']).stdout.split('\n').filter(Boolean)) {
    ctr(['task', 'delete', '--force', c]);
    ctr(['container', 'rm', c]);
  }
}

/** A CRI runtime handler: `runtimeType` is a shim (io.containerd.runc.v2, ...). */
export interface CriRuntime {
  runtimeType: string;
  /** The runc v2 shim's `BinaryName`: the OCI runtime it runs instead of runc. */
  binaryName?: string;
  /** The shim's `Root` for runtime state (the shim adds /<namespace>); default /run/containerd/runc. */
  root?: string;
}

export interface ContainerdOptions {
  /** Turns containerd's CRI plugin on (gRPC runtime.v1 on the same socket). */
  cri?: { runtimes: Record<string, CriRuntime>; sandboxImage: string };
  /** containerd's environment (e.g. PATH with the checkout's bin/, where it finds containerd-shim-carton-v2) */
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts containerd on `<dir>/containerd.toml` with root, state, socket and
 * its "opt" dir under `dir` (the default would be /opt/containerd); the
 * snapshotters this host cannot use stay off, and so does CRI unless
 * `opts.cri` asks for it. Returns pid and socket.
 */
export async function startContainerd(
  bin: string,
  dir: string,
  opts: ContainerdOptions = {},
): Promise<{ pid: number; sock: string }> {
  const sock = path.join(dir, 'containerd.sock');
  const disabled = [
    'io.containerd.snapshotter.v1.btrfs',
    'io.containerd.snapshotter.v1.zfs',
    'io.containerd.snapshotter.v1.devmapper',
    'io.containerd.snapshotter.v1.aufs',
  ];
  if (!opts.cri) disabled.unshift('io.containerd.grpc.v1.cri');
  fs.writeFileSync(
    path.join(dir, 'containerd.toml'),
    [
      'version = 2',
      `root = "${dir}/croot"`,
      `state = "${dir}/cstate"`,
      `disabled_plugins = [${disabled.map((p) => JSON.stringify(p)).join(', ')}]`,
      '[grpc]',
      `  address = "${sock}"`,
      '[ttrpc]',
      `  address = "${sock}.ttrpc"`,
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${dir}/opt"`,
      ...(opts.cri ? criConfig(dir, opts.cri) : []),
      '',
    ].join('\n'),
  );
  const pid = await startDaemon(
    bin,
    ['--config', path.join(dir, 'containerd.toml')],
    path.join(dir, 'containerd.log'),
    opts.env,
  );
  await waitFor(sock, path.join(dir, 'containerd.log'));
  return { pid, sock };
}

/**
 * The CRI plugin's section. Host quirks (engines-on-this-host.md): no CAP_SYS_RESOURCE, so
 * the sandbox's oom_score_adj must not go below ours (restrict_oom_score_adj); no CNI
 * network, so pods use the host network and the (empty) CNI dirs only need to exist; the
 * streaming server (unused: ExecSync needs none) binds an ephemeral loopback port so
 * that concurrent containerds do not collide.
 */
function criConfig(dir: string, cri: NonNullable<ContainerdOptions['cri']>): string[] {
  const P = '[plugins."io.containerd.grpc.v1.cri"';
  for (const d of ['net.d', 'bin']) fs.mkdirSync(path.join(dir, 'cni', d), { recursive: true });
  const lines = [
    `${P}]`,
    `  sandbox_image = ${JSON.stringify(cri.sandboxImage)}`,
    '  restrict_oom_score_adj = true',
    '  disable_cgroup = false',
    '  disable_apparmor = true',
    '  enable_selinux = false',
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    `${P}.cni]`,
    `  bin_dir = "${dir}/cni/bin"`,
    `  conf_dir = "${dir}/cni/net.d"`,
    `${P}.containerd]`,
    '  snapshotter = "overlayfs"',
    `  default_runtime_name = ${JSON.stringify(Object.keys(cri.runtimes)[0])}`,
  ];
  for (const [name, r] of Object.entries(cri.runtimes)) {
    lines.push(`${P}.containerd.runtimes.${name}]`, `  runtime_type = ${JSON.stringify(r.runtimeType)}`);
    // These options are the runc shim's; another shim gets none.
    if (r.runtimeType !== 'io.containerd.runc.v2') continue;
    lines.push(`${P}.containerd.runtimes.${name}.options]`, '  SystemdCgroup = false');
    if (r.binaryName) lines.push(`  BinaryName = ${JSON.stringify(r.binaryName)}`);
    if (r.root) lines.push(`  Root = ${JSON.stringify(r.root)}`);
  }
  return lines;
}

/** A daemon in its own process group, its output to `log`. */
export async function startDaemon(bin: string, args: string[], log: string, env?: NodeJS.ProcessEnv): Promise<number> {
  const fd = fs.openSync(log, 'w');
  const child = spawn(bin, args, { stdio: ['ignore', fd, fd], detached: true, env: env ?? process.env });
  fs.closeSync(fd);
  child.unref();
  return child.pid!;
}

export async function waitFor(file: string, log: string): Promise<void> {
  for (let i = 0; i < 150 && !fs.existsSync(file); i++) await sleep(100);
  if (!fs.existsSync(file)) throw new Error(`${file} did not appear: ${fs.readFileSync(log, 'utf8').slice(-2000)}`);
}

/** SIGTERM to a daemon we started, then wait (SIGKILL after 5 s). */
export async function stopDaemon(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 50 && fs.existsSync(`/proc/${pid}`); i++) await sleep(100);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** Shims outlive containerd: kill ours (their command line names our socket) by pid. */
export function killShims(sock: string, except: number[] = []): void {
  for (const pid of pidsMentioning(sock)) {
    if (!except.includes(pid)) {
      // A killed carton-keeper cannot remove its state dir (its argv[1]): we do.
      try {
        const [argv0, stateDir] = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        if (argv0?.endsWith('carton-keeper') && stateDir?.startsWith('/run/containerd/carton/.shim/'))
          fs.rmSync(stateDir, { recursive: true, force: true });
      } catch {
        // gone
      }
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}
