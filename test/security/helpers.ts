// Shared by the CVE regression tests: private rootfs copies an attack may
// modify, a racing renameat2(RENAME_EXCHANGE) loop, and waiting for output.
import { spawn, type ChildProcess } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ROOTFS, type Env } from '../helpers';

export const FIXTURES = path.join(__dirname, '..', 'fixtures');

/** A copy of the busybox rootfs under env.dir that a test may booby-trap. */
export function rootfsCopy(env: Env, name: string): string {
  const dst = path.join(env.dir, name);
  fs.cpSync(ROOTFS, dst, { recursive: true, verbatimSymlinks: true });
  // Other tests' mount points may have been created in the shared rootfs.
  fs.rmSync(path.join(dst, 'mnt'), { recursive: true, force: true });
  return dst;
}

export function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Exchanges a and b as fast as possible until stopped. */
export function exchangeLoop(a: string, b: string): { stop: () => Promise<void>; proc: ChildProcess } {
  const proc = spawn('python3', [path.join(FIXTURES, 'exchange-loop.py'), a, b], { stdio: 'inherit' });
  return {
    proc,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGKILL');
      }),
  };
}

export async function until(cond: () => boolean, ms = 10000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** Every entry under dir, recursively (what an escaped mount or mkdir left on the host). */
export function listAll(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).sort();
}
