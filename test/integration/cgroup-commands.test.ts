// pause/resume, ps, update, events and kill --all on this host's real
// cgroups, observed from the processes themselves and the cgroup files.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { hostLayout } from '../../src/cgroups/mounts';
import { CARTON, Env, testSpec } from '../helpers';

const env = new Env('cgcmd');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

const layout = hostLayout();
const v1 = (ctrl: string) => layout.v1.find((h) => h.controllers.includes(ctrl));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A running container whose shell bumps a counter in <dir>/n, plus a background sleep. */
function counter(): { id: string; out: string; pid: number } {
  const out = fs.mkdtempSync(path.join(env.dir, 'out-'));
  const id = env.id();
  const b = env.bundle(
    testSpec(
      [
        'sh',
        '-c',
        'sleep 1000 & i=0; while true; do i=$((i+1)); echo $i > /out/n; usleep 20000 2>/dev/null || sleep 0.02; done',
      ],
      (s) => {
        s.mounts!.push({ destination: '/out', type: 'bind', source: out, options: ['bind'] });
      },
    ),
  );
  const r = env.detached(['run', '-d', '--bundle', b, id]);
  if (r.code !== 0) throw new Error(r.stderr);
  return { id, out, pid: env.state(id).pid };
}

async function progress(file: string): Promise<boolean> {
  const read = () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '');
  const a = read();
  for (let i = 0; i < 25; i++) {
    await sleep(20);
    if (read() !== a && read() !== '') return true;
  }
  return false;
}

t.test("pause freezes every process, resume thaws them; runc's errors otherwise", async (t) => {
  const c = counter();
  t.ok(await progress(path.join(c.out, 'n')), 'running: the counter moves');
  t.equal(env.carton(['pause', c.id]).code, 0);
  t.equal(env.state(c.id).status, 'paused');
  const n = path.join(c.out, 'n');
  await sleep(50);
  t.notOk(await progress(n), 'paused: the counter stands still');
  const ps = JSON.parse(env.carton(['ps', '--format', 'json', c.id]).stdout) as number[];
  for (const pid of ps) {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    t.match(st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3), /[DS]/, `pid ${pid} is asleep in the freezer`);
  }
  const again = env.carton(['pause', c.id]);
  t.equal(again.code, 1);
  t.match(again.stderr, /container not running/);
  t.equal(env.carton(['resume', c.id]).code, 0);
  t.equal(env.state(c.id).status, 'running');
  t.ok(await progress(n), 'resumed: the counter moves again');
  const r2 = env.carton(['resume', c.id]);
  t.equal(r2.code, 1);
  t.match(r2.stderr, /container not paused/);
  t.equal(env.carton(['delete', '--force', c.id]).code, 0);
});

t.test('delete --force of a paused container kills and removes everything', async (t) => {
  const c = counter();
  t.equal(env.carton(['pause', c.id]).code, 0);
  const pids = JSON.parse(env.carton(['ps', '--format', 'json', c.id]).stdout) as number[];
  t.equal(env.carton(['delete', '--force', c.id]).code, 0);
  for (const p of pids)
    t.notOk(
      fs.existsSync(`/proc/${p}/stat`) && !/\) Z/.test(fs.readFileSync(`/proc/${p}/stat`, 'utf8')),
      `pid ${p} is gone`,
    );
});

/** A container whose process set does not change: sh and two sleeps. */
function still(): { id: string; pid: number } {
  const id = env.id();
  const r = env.detached([
    'run',
    '-d',
    '--bundle',
    env.bundle(testSpec(['sh', '-c', 'trap "exit 0" TERM; sleep 1000 & sleep 1000 & wait'])),
    id,
  ]);
  if (r.code !== 0) throw new Error(r.stderr);
  return { id, pid: env.state(id).pid };
}

t.test('ps: json pids from the cgroup, a ps(1) table, ps arguments after the id', async (t) => {
  const c = still();
  for (
    let i = 0;
    i < 100 && ((JSON.parse(env.carton(['ps', '--format', 'json', c.id]).stdout) as number[] | null) ?? []).length < 3;
    i++
  )
    await sleep(10);
  const j = env.carton(['ps', '--format', 'json', c.id]);
  t.equal(j.code, 0, j.stderr);
  const pids = JSON.parse(j.stdout) as number[];
  t.ok(pids.includes(c.pid), 'the init is listed');
  t.equal(pids.length, 3, 'and its two background children');
  const procs = fs
    .readFileSync(path.join((v1('pids') ?? layout.unified)!.mountPoint, 'carton', c.id, 'cgroup.procs'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(Number);
  t.ok(
    pids.every((p) => procs.includes(p)),
    'every pid is in cgroup.procs',
  );
  const tab = env.carton(['ps', c.id]);
  t.match(tab.stdout.split('\n')[0], /UID\s+PID\s+PPID/, 'ps -ef header');
  t.match(tab.stdout, /sleep 1000/);
  const own = env.carton(['ps', c.id, '-o', 'pid,args']);
  t.equal(own.code, 0, own.stderr);
  t.match(own.stdout.split('\n')[0], /^\s*PID COMMAND/, 'ps options after the id go to ps');
  t.equal(own.stdout.trim().split('\n').length, pids.length + 1, 'one row per container process');
  t.same(JSON.parse(env.carton(['ps', '-f', 'json', c.id]).stdout), pids, '-f json');
  const bad = env.carton(['ps', '--format', 'xml', c.id]);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /invalid format option/);
  t.equal(env.carton(['ps', 'nope']).code, 1);
  t.equal(env.carton(['delete', '--force', c.id]).code, 0);
});

t.test('kill --all signals every process in the cgroup', async (t) => {
  const c = counter();
  const pids = JSON.parse(env.carton(['ps', '--format', 'json', c.id]).stdout) as number[];
  t.equal(env.carton(['kill', '--all', c.id, 'KILL']).code, 0);
  for (let i = 0; i < 100 && env.state(c.id).status !== 'stopped'; i++) await sleep(10);
  t.equal(env.state(c.id).status, 'stopped');
  for (let i = 0; i < 100 && env.carton(['ps', '--format', 'json', c.id]).stdout.trim() !== 'null'; i++)
    await sleep(10);
  t.equal(env.carton(['ps', '--format', 'json', c.id]).stdout.trim(), 'null', `none of ${pids.join(',')} is left`);
  const c2 = still();
  for (
    let i = 0;
    i < 100 && ((JSON.parse(env.carton(['ps', '--format', 'json', c2.id]).stdout) as number[] | null) ?? []).length < 3;
    i++
  )
    await sleep(10);
  t.equal(env.carton(['kill', '-a', c2.id, 'TERM']).code, 0, 'TERM to all (frozen while signalled)');
  for (let i = 0; i < 300 && env.state(c2.id).status !== 'stopped'; i++) await sleep(10);
  t.equal(env.state(c2.id).status, 'stopped', 'the sleeps died of SIGTERM and the shell took its trap');
  t.equal(env.carton(['delete', c.id]).code, 0);
  t.equal(env.carton(['delete', c2.id]).code, 0);
});

t.test(
  'update: runc flags, -r FILE and -r -, read back from the cgroup files',
  { skip: v1('memory') && v1('cpu') && v1('pids') ? false : 'v1 memory/cpu/pids' },
  async (t) => {
    const c = counter();
    const f = (ctrl: string, file: string) =>
      fs.readFileSync(path.join(v1(ctrl)!.mountPoint, 'carton', c.id, file), 'utf8').trim();
    let r = env.carton([
      'update',
      '--memory',
      '256m',
      '--memory-swap',
      '512m',
      '--memory-reservation',
      '64m',
      '--cpu-share',
      '300',
      '--cpu-quota',
      '30000',
      '--cpu-period',
      '60000',
      '--pids-limit',
      '77',
      '--cpuset-cpus',
      '0',
      c.id,
    ]);
    t.equal(r.code, 0, r.stderr);
    t.equal(f('memory', 'memory.limit_in_bytes'), String(256 << 20));
    t.equal(f('memory', 'memory.memsw.limit_in_bytes'), String(512 << 20));
    t.equal(f('memory', 'memory.soft_limit_in_bytes'), String(64 << 20));
    t.equal(f('cpu', 'cpu.shares'), '300');
    t.equal(f('cpu', 'cpu.cfs_quota_us'), '30000');
    t.equal(f('cpu', 'cpu.cfs_period_us'), '60000');
    t.equal(f('pids', 'pids.max'), '77');
    if (v1('cpuset'))
      t.equal(fs.readFileSync(path.join(v1('cpuset')!.mountPoint, 'carton', c.id, 'cpuset.cpus'), 'utf8').trim(), '0');
    // blkio.weight exists only with a weighting I/O scheduler (see cgroup-resources.test.ts)
    r = env.carton(['update', '--blkio-weight', '200', c.id]);
    const blkio = v1('blkio') && path.join(v1('blkio')!.mountPoint, 'carton', c.id);
    if (blkio && r.code === 0)
      t.match(
        fs.readFileSync(
          path.join(blkio, fs.existsSync(path.join(blkio, 'blkio.weight')) ? 'blkio.weight' : 'blkio.bfq.weight'),
          'utf8',
        ),
        /200/,
      );
    else if (blkio)
      t.match(
        r.stderr,
        /^carton: linux\.resources\.blockIO\.weight: the blkio controller on this host has no blkio\.weight/,
      );
    t.equal(f('memory', 'memory.limit_in_bytes'), String(256 << 20), 'a failed update changes nothing else');
    const file = path.join(env.dir, 'res.json');
    fs.writeFileSync(file, JSON.stringify({ memory: { limit: 128 << 20 }, pids: { limit: -1 } }));
    r = env.carton(['update', '-r', file, c.id]);
    t.equal(r.code, 0, r.stderr);
    t.equal(f('memory', 'memory.limit_in_bytes'), String(128 << 20));
    t.equal(f('memory', 'memory.memsw.limit_in_bytes'), String(512 << 20), 'the recorded swap is kept');
    t.equal(f('pids', 'pids.max'), 'max');
    r = env.carton(['update', '--resources=-', c.id], { input: JSON.stringify({ cpu: { shares: 700 } }) });
    t.equal(r.code, 0, r.stderr);
    t.equal(f('cpu', 'cpu.shares'), '700');
    t.equal(f('cpu', 'cpu.cfs_quota_us'), '30000', 'fields not named stay');
    r = env.carton(['update', '-r', '-', c.id], { input: '{"memory":{"limit":"lots"}}' });
    t.equal(r.code, 1);
    t.match(r.stderr, /resources \(stdin\): \/memory\/limit must be integer/);
    r = env.carton(['update', '--memory', '12zz', c.id]);
    t.match(r.stderr, /invalid value for --memory/);
    r = env.carton(['update', '--mem-bw-schema', 'MB:0=70', c.id]);
    t.equal(r.code, 1);
    t.match(r.stderr, /Intel RDT\/MBA: memory bandwidth schema is not enabled|no linux\.intelRdt/);
    t.equal(env.carton(['delete', '--force', c.id]).code, 0);
    r = env.carton(['update', '--memory', '1g', c.id]);
    t.equal(r.code, 1, 'a deleted container cannot be updated');
  },
);

const RUNC_KEYS = ['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'intel_rdt', 'network_interfaces'];

t.test("events --stats: one line with runc's keys and sane numbers; stopped is an error", async (t) => {
  const c = counter();
  await sleep(100);
  const r = env.carton(['events', '--stats', c.id]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout.split('\n').length, 2, 'one JSON line');
  const ev = JSON.parse(r.stdout) as { type: string; id: string; data: Record<string, any> };
  t.equal(ev.type, 'stats');
  t.equal(ev.id, c.id);
  t.same(Object.keys(ev.data), RUNC_KEYS, "runc's data keys, in runc's order");
  t.ok(ev.data.pids.current >= 2, 'pids.current counts the shell and its children');
  t.ok(ev.data.memory.usage.usage > 0, 'memory in use');
  t.ok(ev.data.cpu.usage.total > 0, 'cpu time used');
  t.ok(Array.isArray(ev.data.cpu.usage.percpu), 'per-cpu usage');
  t.ok(ev.data.memory.raw && typeof ev.data.memory.raw === 'object', 'raw memory.stat');
  t.equal(ev.data.network_interfaces, null);
  t.equal(env.carton(['kill', c.id, 'KILL']).code, 0);
  for (let i = 0; i < 100 && env.state(c.id).status !== 'stopped'; i++) await sleep(10);
  const s = env.carton(['events', '--stats', c.id]);
  t.equal(s.code, 1);
  t.match(s.stderr, `container with id ${c.id} is not running`);
  t.equal(env.carton(['delete', c.id]).code, 0);
});

t.test(
  'events streams stats every --interval and an oom event when the memory limit is hit; ends with the container',
  { skip: v1('memory') || layout.mode === 'v2' ? false : 'no memory controller' },
  async (t) => {
    const id = env.id();
    const go = path.join(env.dir, `go-${id}`);
    fs.mkdirSync(go);
    const b = env.bundle(
      testSpec(
        [
          'sh',
          '-c',
          'while [ ! -e /go/now ]; do usleep 10000 2>/dev/null || sleep 0.01; done; x=$(head -c 60000000 /dev/zero | tr "\\0" a); sleep 1000',
        ],
        (s) => {
          s.linux!.resources = { ...s.linux!.resources, memory: { limit: 16 << 20, swap: 16 << 20 } };
          s.mounts!.push({ destination: '/go', type: 'bind', source: go, options: ['bind'] });
        },
      ),
    );
    t.equal(env.detached(['run', '-d', '--bundle', b, id]).code, 0);
    const ev = spawn(CARTON, ['--root', env.root, 'events', '--interval', '200ms', id], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => ev.on('exit', (code) => r(code)));
    let out = '';
    ev.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const lines = () =>
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; id: string });
    for (let i = 0; i < 100 && !lines().some((l) => l.type === 'stats'); i++) await sleep(20);
    t.ok(
      lines().some((l) => l.type === 'stats' && l.id === id),
      'a stats event within the interval',
    );
    fs.writeFileSync(path.join(go, 'now'), '');
    for (let i = 0; i < 250 && !lines().some((l) => l.type === 'oom'); i++) await sleep(20);
    t.same(
      lines().find((l) => l.type === 'oom'),
      { type: 'oom', id },
      "runc's oom event",
    );
    t.equal(env.carton(['delete', '--force', id]).code, 0);
    const code = await Promise.race([exited, sleep(5000).then(() => 'hung')]);
    if (code === 'hung') ev.kill('SIGKILL');
    t.equal(code, 0, 'events exits 0 once the container is gone');
  },
);

t.test('a created container can be paused and resumed, as with runc', async (t) => {
  const id = env.id();
  t.equal(env.detached(['create', '--bundle', env.bundle(testSpec(['sleep', '100'])), id]).code, 0);
  t.equal(env.carton(['pause', id]).code, 0);
  t.equal(env.state(id).status, 'paused');
  t.equal(env.carton(['resume', id]).code, 0);
  t.equal(env.state(id).status, 'created');
  t.equal(env.carton(['delete', '--force', id]).code, 0);
});
