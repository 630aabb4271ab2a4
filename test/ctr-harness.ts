// What the containerd-shim tests that drive `ctr` share: one containerd of
// the test's own (temp root, state and socket; PATH with this checkout's bin/
// so it finds containerd-shim-carton-v2), ctr bound to it and a namespace,
// the carton shims serving that socket, and a teardown that leaves nothing.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  busyboxArchive,
  killShims,
  pidsMentioning,
  removeAllTasks,
  removeCgroupTrees,
  rmdirIfEmpty,
  sleep,
  startContainerd,
  stopDaemon,
  unmountUnder,
} from './engines';
import { CARTON, Env, REPO } from './helpers';
import { keeperDir, SHARED_GROUP, socketAddress, socketPath, STATE_ROOT } from '../src/shim/address';

export const RT = 'io.containerd.carton.v2';
const containerdBin = ['/usr/bin/containerd', '/usr/local/bin/containerd'].find((p) => fs.existsSync(p));
export const ctrBin = ['/usr/bin/ctr', '/usr/local/bin/ctr'].find((p) => fs.existsSync(p)) ?? 'ctr';

/** `what()` within `tries` × 100 ms. */
export async function until(what: () => boolean, tries = 100): Promise<boolean> {
  for (let i = 0; i < tries && !what(); i++) await sleep(100);
  return what();
}

export class CtrHarness {
  readonly env: Env;
  readonly dir: string;
  readonly sock: string;
  private daemonPid = 0;

  constructor(
    tag: string,
    readonly ns: string,
  ) {
    this.env = new Env(tag);
    this.dir = this.env.dir;
    this.sock = path.join(this.dir, 'containerd.sock');
  }

  /** Why these tests cannot run here, if they cannot. */
  skipReason(): string | undefined {
    if (!containerdBin || !fs.existsSync(ctrBin)) return 'containerd is not installed (scripts/setup.sh installs it)';
    if (!fs.existsSync(path.join(REPO, 'dist', 'shim.js'))) return 'dist/shim.js is not built (npm run build:ts)';
    return undefined;
  }

  /** argv of `ctr` on this containerd and namespace. */
  ctrArgv(args: string[]): string[] {
    return [ctrBin, '--address', this.sock, '--namespace', this.ns, ...args];
  }

  ctr(args: string[], timeout = 60000): { code: number | null; stdout: string; stderr: string } {
    const [bin, ...rest] = this.ctrArgv(args);
    const r = spawnSync(bin!, rest, { encoding: 'utf8', timeout });
    return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** carton shim processes of this containerd: the serving Node ones, and with `keepers` their carton-keepers too. */
  cartonShims(keepers = false): number[] {
    return pidsMentioning(this.sock).filter((p) => {
      try {
        const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
        return (
          argv.includes('containerd-shim-carton-v2') && (keepers || !argv.split('\0')[0]!.endsWith('carton-keeper'))
        );
      } catch {
        return false;
      }
    });
  }

  /** containerd with shims that exit as soon as they are idle, and the busybox image imported. */
  async start(): Promise<void> {
    const envPath = `${path.join(REPO, 'bin')}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`;
    this.daemonPid = (
      await startContainerd(containerdBin!, this.dir, {
        env: { ...process.env, PATH: envPath, CARTON_SHIM_LINGER_MS: '0' },
      })
    ).pid;
    const r = this.ctr(['image', 'import', busyboxArchive(this.dir)]);
    if (r.code !== 0) throw new Error(`image import: ${r.stderr}`);
  }

  /** Tasks, shims (and their keepers' records), containerd, mounts, carton state and cgroups: all gone. */
  async teardown(): Promise<void> {
    const ctr = (args: string[]) => this.ctr(args);
    if (this.daemonPid) await removeAllTasks(ctr);
    for (const p of this.cartonShims(true)) process.kill(p, 'SIGTERM');
    await until(() => this.cartonShims(true).length === 0, 50);
    killShims(this.sock, this.daemonPid ? [this.daemonPid] : []);
    if (this.daemonPid) await stopDaemon(this.daemonPid);
    const shimSock = socketPath(socketAddress(this.sock, this.ns, SHARED_GROUP));
    fs.rmSync(shimSock, { force: true });
    fs.rmSync(keeperDir(shimSock), { recursive: true, force: true });
    unmountUnder(this.dir);
    const ours = path.join(STATE_ROOT, this.ns);
    if (fs.existsSync(ours))
      for (const id of fs.readdirSync(ours)) spawnSync(CARTON, ['--root', ours, 'delete', '--force', id]);
    fs.rmSync(ours, { recursive: true, force: true });
    rmdirIfEmpty([
      path.join(STATE_ROOT, '.shim'),
      STATE_ROOT,
      '/run/containerd/fifo',
      '/run/containerd/s',
      '/run/containerd',
    ]);
    removeCgroupTrees([this.ns]);
    const leaks = this.env.cleanup();
    if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
  }
}
