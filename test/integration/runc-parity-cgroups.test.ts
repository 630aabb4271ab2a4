// runc parity on cgroups and signals (issue 14): kill and pids limits, each step also done with runc 1.1.5 and
// compared (test/runc-parity.ts runs runc in its own --root).
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { hostLayout } from '../../src/cgroups/mounts';
import { testSpec } from '../helpers';
import { runcParity } from '../runc-parity';

const { env, runc, both, runcRun, skipRunc } = runcParity('paritycg');

t.test(
  'kill: signal 0 is a liveness probe; --all on a stopped container succeeds (runc 1.1.5)',
  { skip: skipRunc },
  async (t) => {
    const { id, rid, bundle } = both(testSpec(['sleep', '1000']));
    t.equal(env.detached(['run', '-d', '--bundle', bundle, id]).code, 0);
    t.equal(runcRun(bundle, rid).code, 0);
    const steps: [string, string[]][] = [
      ['kill 0, running', ['kill', '%', '0']],
      ['kill -a 0, running', ['kill', '-a', '%', '0']],
      ['kill KILL', ['kill', '%', 'KILL']],
    ];
    const after: [string, string[]][] = [
      ['kill 0, stopped', ['kill', '%', '0']],
      ['kill -a 0, stopped', ['kill', '-a', '%', '0']],
      ['kill -a KILL, stopped', ['kill', '-a', '%', 'KILL']],
      ['kill KILL, stopped', ['kill', '%', 'KILL']],
    ];
    const codes = (list: [string, string[]][], rt: 'carton' | 'runc') =>
      list.map(([name, argv]) => {
        const a = argv.map((x) => (x === '%' ? (rt === 'carton' ? id : rid) : x));
        const r = rt === 'carton' ? env.carton(a) : runc(a);
        return `${name}: ${r.code}${r.code ? ` ${/container not running/.test(r.stderr) ? 'not running' : r.stderr.trim()}` : ''}`;
      });
    const got = codes(steps, 'carton');
    const want = codes(steps, 'runc');
    // wait for both inits to be reaped-or-zombie and seen as stopped
    for (
      let i = 0;
      i < 100 && (env.state(id).status !== 'stopped' || !/"stopped"/.test(runc(['state', rid]).stdout));
      i++
    )
      await new Promise((r) => setTimeout(r, 20));
    got.push(...codes(after, 'carton'));
    want.push(...codes(after, 'runc'));
    t.same(got, want, 'same exit codes and errors as runc');
    t.same(got, [
      'kill 0, running: 0',
      'kill -a 0, running: 0',
      'kill KILL: 0',
      'kill 0, stopped: 1 not running',
      'kill -a 0, stopped: 0',
      'kill -a KILL, stopped: 0',
      'kill KILL, stopped: 1 not running',
    ]);
  },
);

const layout = hostLayout();
const v1 = (ctrl: string) => layout.v1.find((h) => h.controllers.includes(ctrl));

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

t.test(
  'pids.limit 0 or negative is "no limit"; update --pids-limit 0 changes nothing (runc 1.1.5)',
  { skip: v1('pids') ? skipRunc : 'no v1 pids controller' },
  async (t) => {
    // Before the fix pids.max was 0 and the container's shell could not fork:
    // "sh: can't fork: Resource temporarily unavailable".
    for (const limit of [0, -3]) {
      const { id, rid, bundle } = both(
        testSpec(
          ['sh', '-c', '(true) && echo forked; sleep 1000'],
          (s) => (s.linux!.resources = { ...s.linux!.resources, pids: { limit } }),
        ),
      );
      const c = env.detached(['run', '-d', '--bundle', bundle, id]);
      t.equal(c.code, 0);
      t.equal(runcRun(bundle, rid).code, 0);
      const cdir = v1Dir('pids', env.state(id).pid);
      const rdir = v1Dir('pids', runcPid(rid));
      const max = (d: string) => fs.readFileSync(path.join(d, 'pids.max'), 'utf8').trim();
      for (let i = 0; i < 100 && !fs.readFileSync(c.out, 'utf8').includes('forked'); i++)
        await new Promise((r) => setTimeout(r, 20));
      t.match(fs.readFileSync(c.out, 'utf8'), /forked/, `limit ${limit}: the container can fork`);
      t.equal(max(cdir), 'max');
      t.equal(max(rdir), 'max', 'runc: max too');
      if (limit === 0) {
        const got: string[] = [];
        const want: string[] = [];
        for (const step of [
          ['--pids-limit', '10'],
          ['--pids-limit', '0'],
          ['--pids-limit', '-1'],
          ['--pids-limit', '10'],
          ['--pids-limit', '-5'],
          ['-r', '-'],
        ]) {
          const input = step[0] === '-r' ? '{"pids": {"limit": 0}}' : undefined;
          got.push(`${step.join(' ')}: ${env.carton(['update', ...step, id], { input }).code} ${max(cdir)}`);
          want.push(`${step.join(' ')}: ${runc(['update', ...step, rid], input).code} ${max(rdir)}`);
        }
        t.same(got, want, 'update: the same pids.max as runc after every step');
        t.same(got, [
          '--pids-limit 10: 0 10',
          '--pids-limit 0: 0 10',
          '--pids-limit -1: 0 max',
          '--pids-limit 10: 0 10',
          '--pids-limit -5: 0 max',
          '-r -: 0 max',
        ]);
      }
      t.equal(env.carton(['delete', '--force', id]).code, 0);
      t.equal(runc(['delete', '--force', rid]).code, 0);
    }
  },
);
