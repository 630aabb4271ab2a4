// Shared by the integration tests: a temp --root per test file, bundles made
// from the busybox rootfs, a way to run the real CLI, and the leak checks
// every test file ends with (no container process, mount, cgroup or state
// left; the host's /dev/null untouched).
import { spawnSync, type SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { exampleSpec } from '../src/spec/defaults';
import type { Spec } from '../src/spec/types';

export const REPO = path.resolve(__dirname, '..');
/**
 * The CLI under test: the shipped executable (dist/carton, what setup puts on
 * PATH). CARTON_TEST_NODE=1 runs the Node entry (bin/carton) instead.
 */
export const CARTON =
  process.env.CARTON_TEST_NODE === '1' ? path.join(REPO, 'bin', 'carton') : path.join(REPO, 'dist', 'carton');
export const ROOTFS = path.join(REPO, 'bundles', 'busybox', 'rootfs');

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** A spec for tests: runc's example, no terminal, the shared busybox rootfs, running `args`. */
export function testSpec(args: string[], edit?: (s: Spec) => void): Spec {
  const s = exampleSpec();
  s.process!.terminal = false;
  s.process!.args = args;
  s.root = { path: ROOTFS, readonly: true };
  edit?.(s);
  return s;
}

function toResult(r: SpawnSyncReturns<string>): Result {
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export class Env {
  readonly dir: string;
  readonly root: string;
  private n = 0;
  readonly pids = new Set<number>();
  readonly ids = new Set<string>();

  constructor(tag: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `carton-${tag}-`));
    this.root = path.join(this.dir, 'root');
  }

  /** A fresh bundle directory with this config.json. */
  bundle(spec: Spec | string, name = `b${++this.n}`): string {
    const b = path.join(this.dir, name);
    fs.mkdirSync(b, { recursive: true });
    fs.writeFileSync(path.join(b, 'config.json'), typeof spec === 'string' ? spec : JSON.stringify(spec, null, 2));
    return b;
  }

  id(prefix = 'c'): string {
    const id = `${prefix}${++this.n}-${process.pid}`;
    this.ids.add(id);
    return id;
  }

  /** Run carton with pipes: for commands that do not hand their stdio to a container. */
  carton(
    args: string[],
    opts: { input?: string; globals?: string[]; env?: NodeJS.ProcessEnv; timeout?: number } = {},
  ): Result {
    const r = spawnSync(CARTON, [...(opts.globals ?? ['--root', this.root]), ...args], {
      encoding: 'utf8',
      input: opts.input,
      env: opts.env ?? process.env,
      timeout: opts.timeout ?? 30000,
    });
    return toResult(r);
  }

  /**
   * create (or run -d): the container inherits carton's stdio, so it goes to
   * files; a pipe would stay open for as long as the container lives.
   */
  detached(args: string[], globals?: string[]): Result & { out: string } {
    const out = path.join(this.dir, `out-${++this.n}`);
    const fd = fs.openSync(out, 'w+');
    const r = spawnSync(CARTON, [...(globals ?? ['--root', this.root]), ...args], {
      stdio: ['ignore', fd, fd],
      timeout: 30000,
    });
    fs.closeSync(fd);
    const text = fs.readFileSync(out, 'utf8');
    return { code: r.status, signal: r.signal, stdout: text, stderr: text, out };
  }

  state(id: string): { status: string; pid: number; [k: string]: unknown } {
    const r = this.carton(['state', id]);
    if (r.code !== 0) throw new Error(`state ${id}: ${r.stderr}`);
    const s = JSON.parse(r.stdout) as { status: string; pid: number };
    if (s.pid > 0) this.pids.add(s.pid);
    return s;
  }

  /**
   * A created (not started) `sleep 1000` container in the state directory
   * `root` (a shim's, say); its pid is tracked for the leak check.
   */
  createSleeper(root: string, prefix: string): { id: string; bundle: string; pid: number } {
    const bundle = this.bundle(testSpec(['sleep', '1000']));
    const id = this.id(prefix);
    const c = this.detached(['create', '--bundle', bundle, id], ['--root', root]);
    if (c.code !== 0) throw new Error(`create ${id}: ${c.stderr}`);
    const { pid } = JSON.parse(spawnSync(CARTON, ['--root', root, 'state', id], { encoding: 'utf8' }).stdout) as {
      pid: number;
    };
    this.pids.add(pid);
    return { id, bundle, pid };
  }

  /** Force-delete whatever is left, then report every leak found. */
  cleanup(): string[] {
    if (fs.existsSync(this.root)) {
      for (const id of fs.readdirSync(this.root)) this.carton(['delete', '--force', id]);
    }
    const leaks = leaksUnder(this.dir, this.ids, this.pids);
    if (fs.existsSync(this.root) && fs.readdirSync(this.root).length)
      leaks.push(`state left in ${this.root}: ${fs.readdirSync(this.root).join(' ')}`);
    fs.rmSync(this.dir, { recursive: true, force: true });
    return leaks;
  }
}

/** Host checks: mounts mentioning `dir`, live container pids, cgroups of `ids`, /dev/null. */
export function leaksUnder(dir: string, ids: Iterable<string>, pids: Iterable<number>): string[] {
  const leaks: string[] = [];
  const mi = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(dir));
  if (mi.length) leaks.push(`mounts left: ${mi.join(' | ')}`);
  for (const pid of pids) {
    try {
      const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = st.slice(st.lastIndexOf(')') + 2).split(' ')[0];
      if (state !== 'Z' && state !== 'X') leaks.push(`process ${pid} still running`);
    } catch {
      // gone, good
    }
  }
  for (const id of ids) {
    for (const h of fs.readdirSync('/sys/fs/cgroup')) {
      const d = path.join('/sys/fs/cgroup', h, 'carton', id);
      if (fs.existsSync(d)) leaks.push(`cgroup left: ${d}`);
    }
  }
  const st = fs.statSync('/dev/null');
  if (!st.isCharacterDevice() || st.uid !== 0 || st.gid !== 0 || st.rdev !== ((1 << 8) | 3))
    leaks.push('host /dev/null changed');
  return leaks;
}

/** Lines of a container's /proc/self/status as a map. */
export function statusMap(text: string): Record<string, string> {
  const m: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) m[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return m;
}

/**
 * Listen on `sock` as conmon and the containerd shim do and resolve to the
 * pty master the runtime sends (one SCM_RIGHTS fd). The connection is paused
 * so that Node never reads the message that carries it.
 */
export function receiveConsole(sock: string): Promise<number> {
  const { addon } = require('../src/native') as typeof import('../src/native');
  return new Promise<number>((resolve, reject) => {
    const server = net.createServer({ pauseOnConnect: true }, (conn) => {
      const fd = (conn as unknown as { _handle: { fd: number } })._handle.fd;
      if (!addon().pollIn(fd, 5000)) reject(new Error('nothing received'));
      else resolve(addon().recvFd(fd));
      conn.destroy();
      server.close();
    });
    server.listen(sock);
  });
}

/** The process is there and neither a zombie nor dead. */
export function pidAlive(pid: number): boolean {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(st.slice(st.lastIndexOf(')') + 2).split(' ')[0] ?? '');
  } catch {
    return false;
  }
}
