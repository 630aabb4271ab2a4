// runc parity for `update` on cgroup v1 memory (issue 14): every
// memory/memsw transition, each also done with runc 1.1.5 and compared
// (test/runc-parity.ts runs runc in its own --root). Its own file: the many
// updates take long on a loaded machine.
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { hostLayout } from '../../src/cgroups/mounts';
import { testSpec } from '../helpers';
import { runcParity } from '../runc-parity';

const { env, runc, both, runcRun, skipRunc } = runcParity('paritymem');

const layout = hostLayout();
const v1 = (ctrl: string) => layout.v1.find((h) => h.controllers.includes(ctrl));
const memsw = v1('memory') && fs.existsSync(path.join(v1('memory')!.mountPoint, 'memory.memsw.limit_in_bytes'));

/** The v1 cgroup directory of a running container (from its init's /proc/PID/cgroup). */
function v1Dir(ctrl: string, pid: number): string {
  const line = fs
    .readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((l) => l.split(':')[1]?.split(',').includes(ctrl));
  return path.join(v1(ctrl)!.mountPoint, line?.split(':')[2] ?? '');
}

function runcPid(rid: string): number {
  return (JSON.parse(runc(['state', rid]).stdout) as { pid: number }).pid;
}

const UNLIMITED = '9223372036854771712';

t.test(
  'update on cgroup v1: every memory/memsw transition works, as with runc',
  { skip: memsw ? skipRunc : 'no v1 memory controller with swap accounting' },
  async (t) => {
    // Before the fix `--memory -1` with a swap limit in place failed:
    // "linux.resources.memory.limit: write -1 to .../memory.limit_in_bytes: invalid argument".
    const steps = [
      ['--memory', '384m'],
      ['--memory', '128m'],
      ['--memory', '-1'],
      ['--memory', '256m'],
      ['--memory', '256m', '--memory-swap', '1g'],
      ['--memory-swap', '300m'],
      ['--memory', '1g', '--memory-swap', '2g'],
      ['--memory', '64m', '--memory-swap', '128m'],
      ['--memory', '-1', '--memory-swap', '-1'],
      ['--memory', '512m'],
      ['--memory-swap', '768m'],
      ['--memory-swap', '-1'],
      ['--memory', '100m'],
      ['--memory', '1g'],
      ['--memory', '-1'],
    ];
    for (const [name, mem] of [
      ['with swap', { limit: 256 << 20, swap: 512 << 20 }],
      ['without swap', { limit: 256 << 20 }],
    ] as const) {
      const { id, rid, bundle } = both(
        testSpec(['sleep', '1000'], (s) => (s.linux!.resources = { ...s.linux!.resources, memory: { ...mem } })),
      );
      t.equal(env.detached(['run', '-d', '--bundle', bundle, id]).code, 0);
      t.equal(runcRun(bundle, rid).code, 0);
      const seen = (dir: string) =>
        ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes']
          .map((f) => fs.readFileSync(path.join(dir, f), 'utf8').trim())
          .join(' ');
      const cdir = v1Dir('memory', env.state(id).pid);
      const rdir = v1Dir('memory', runcPid(rid));
      const got = [`start: ${seen(cdir)}`];
      const want = [`start: ${seen(rdir)}`];
      for (const step of steps) {
        const c = env.carton(['update', ...step, id]);
        got.push(`${step.join(' ')}: ${c.code} ${c.stderr.trim()} ${seen(cdir)}`);
        const r = runc(['update', ...step, rid]);
        want.push(`${step.join(' ')}: ${r.code} ${r.stderr.trim()} ${seen(rdir)}`);
      }
      t.same(got, want, `${name}: the same exit codes and limits as runc after every step`);
      t.equal(got[3], `--memory -1: 0  ${UNLIMITED} ${UNLIMITED}`, `${name}: --memory -1 lifts memory and memsw`);
      t.equal(env.carton(['delete', '--force', id]).code, 0);
      t.equal(runc(['delete', '--force', rid]).code, 0);
    }
  },
);
