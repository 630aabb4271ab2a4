// The runc side of the parity tests (test/integration/runc-parity*.test.ts):
// runc 1.1.5 in its own --root under the test's dir, its cgroups under a
// parent of their own (runc leaves parents behind), all removed at teardown.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import type { Spec } from '../src/spec/types';
import { Env, type Result } from './helpers';

export function runcParity(tag: string) {
  const env = new Env(tag);
  const runcBin = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => fs.existsSync(p));
  const runcRoot = path.join(env.dir, 'runc-root');
  const runcIds = new Set<string>();
  const RUNC_PARENT = `carton-${tag}-runc-${process.pid}`;

  /** runc with its own --root; stdio to a file (a container may inherit it). */
  function runc(args: string[], input?: string): Result {
    const out = path.join(env.dir, 'runc-out');
    const fd = fs.openSync(out, 'w+');
    const r = spawnSync(runcBin!, ['--root', runcRoot, ...args], {
      stdio: [input === undefined ? 'ignore' : 'pipe', fd, 'pipe'],
      input,
      encoding: 'utf8',
      timeout: 30000,
    });
    fs.closeSync(fd);
    return { code: r.status, signal: r.signal, stdout: fs.readFileSync(out, 'utf8'), stderr: r.stderr ?? '' };
  }

  t.teardown(() => {
    const leaks: string[] = [];
    for (const id of runcIds) runc(['delete', '--force', id]);
    for (const h of fs.readdirSync('/sys/fs/cgroup')) {
      const p = path.join('/sys/fs/cgroup', h, RUNC_PARENT);
      if (!fs.existsSync(p)) continue;
      for (const c of fs.readdirSync(p, { withFileTypes: true }))
        if (c.isDirectory()) leaks.push(`runc cgroup left: ${p}/${c.name}`);
      try {
        fs.rmdirSync(p);
      } catch {
        leaks.push(`cannot remove ${p}`);
      }
    }
    leaks.push(...env.cleanup());
    if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
  });

  /** A container id and bundle for either runtime. */
  function both(spec: Spec): { id: string; rid: string; bundle: string } {
    const id = env.id();
    const rid = env.id('r');
    runcIds.add(rid);
    spec.linux!.cgroupsPath = undefined;
    return { id, rid, bundle: env.bundle(spec) };
  }

  /** `bundle`'s config for runc, in a cgroup under RUNC_PARENT. */
  function runcBundle(bundle: string, rid: string): string {
    const spec = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')) as Spec;
    spec.linux!.cgroupsPath = `/${RUNC_PARENT}/${rid}`;
    return env.bundle(spec, `runc-${rid}`);
  }

  /** Start `bundle` detached as `rid` under runc. */
  function runcRun(bundle: string, rid: string): Result {
    return runc(['run', '-d', '--bundle', runcBundle(bundle, rid), rid]);
  }

  return { env, runcBin, runc, both, runcBundle, runcRun, skipRunc: runcBin ? false : 'runc is not installed' };
}
