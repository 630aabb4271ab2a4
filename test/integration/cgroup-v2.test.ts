// The cgroup v2 driver end to end, on a pure-v2 view of this host: a
// private mount namespace (never the host's) whose /sys/fs/cgroup is a fresh
// cgroup2 mount with the v1 hierarchies unmounted from that namespace only.
// carton run inside it detects mode v2 from mountinfo. On this host every
// controller is bound to v1, so the cgroup2 hierarchy has none enabled:
// placement, cgroup.freeze, cgroup.kill, eBPF device rules, unified core
// files and stats can be exercised; memory/cpu/pids/io limits cannot and
// must fail with the controller named.
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { CARTON, Env, testSpec } from '../helpers';
import type { Spec } from '../../src/spec/types';

const env = new Env('cgv2');
let holder: ChildProcess | undefined;
t.teardown(() => {
  const leaks: string[] = [];
  if (holder?.pid) {
    for (const id of fs.existsSync(env.root) ? fs.readdirSync(env.root) : []) inNs(['delete', '--force', id]);
    holder.kill('SIGKILL');
  }
  leaks.push(...env.cleanup());
  for (const id of env.ids)
    if (fs.existsSync(`/sys/fs/cgroup/unified/carton/${id}`)) leaks.push(`cgroup left: unified/carton/${id}`);
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

const unified = '/sys/fs/cgroup/unified';
const skip = fs.existsSync(path.join(unified, 'cgroup.controllers'))
  ? false
  : 'needs a cgroup2 hierarchy at /sys/fs/cgroup/unified';

function inNs(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('nsenter', ['-t', String(holder!.pid), '-m', '--', CARTON, '--root', env.root, ...args], {
    encoding: 'utf8',
    input,
    timeout: 30000,
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function runIn(spec: Spec, id: string): { code: number | null; out: string } {
  const b = env.bundle(spec);
  const out = path.join(env.dir, `out-${id}`);
  const fd = fs.openSync(out, 'w+');
  const r = spawnSync(
    'nsenter',
    ['-t', String(holder!.pid), '-m', '--', CARTON, '--root', env.root, 'run', '-d', '--bundle', b, id],
    { stdio: ['ignore', fd, fd], timeout: 30000 },
  );
  fs.closeSync(fd);
  return { code: r.status, out };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(f: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200 && !f(); i++) await sleep(10);
  return f();
}
const text = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');

t.before(async () => {
  if (skip) return;
  holder = spawn(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      'umount -R /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup && echo ready && exec sleep 3600',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    holder!.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    holder!.on('exit', (c) => reject(new Error(`mount namespace setup failed: ${c}`)));
  });
});

t.test('placement: the container is in /carton/<id> of the cgroup2 hierarchy, and only there', { skip }, async (t) => {
  const id = env.id();
  const r = runIn(
    testSpec(['sh', '-c', 'cat /proc/self/cgroup; ls /sys/fs/cgroup/cgroup.controllers; sleep 1000']),
    id,
  );
  t.equal(r.code, 0, text(r.out));
  const pid = (JSON.parse(inNs(['state', id]).stdout) as { pid: number }).pid;
  env.pids.add(pid);
  t.match(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'), new RegExp(`^0::/carton/${id}$`, 'm'));
  t.ok(
    fs.existsSync(path.join(unified, 'carton', id)),
    'the directory exists (seen from the host at /sys/fs/cgroup/unified)',
  );
  t.ok(await waitFor(() => text(r.out).includes('cgroup.controllers')));
  t.match(text(r.out), /^0::\/$/m, 'inside, with a cgroup namespace, it is at /');
  t.equal(inNs(['delete', '--force', id]).code, 0);
  t.notOk(fs.existsSync(path.join(unified, 'carton', id)), 'delete removed it');
});

t.test('pause/resume through cgroup.freeze; kill --all through cgroup.kill', { skip }, async (t) => {
  const id = env.id();
  t.equal(runIn(testSpec(['sh', '-c', 'sleep 1000 & sleep 1000 & wait']), id).code, 0);
  const dir = path.join(unified, 'carton', id);
  t.equal(inNs(['pause', id]).code, 0);
  t.match(text(path.join(dir, 'cgroup.events')), /frozen 1/);
  t.match(inNs(['state', id]).stdout, /"status": "paused"/);
  t.equal(inNs(['resume', id]).code, 0);
  t.match(text(path.join(dir, 'cgroup.events')), /frozen 0/);
  t.match(inNs(['state', id]).stdout, /"status": "running"/);
  t.ok(
    await waitFor(
      () => ((JSON.parse(inNs(['ps', '--format', 'json', id]).stdout) as number[] | null) ?? []).length === 3,
    ),
    'ps lists sh and two sleeps',
  );
  t.equal(inNs(['kill', '--all', id, 'KILL']).code, 0);
  t.ok(await waitFor(() => text(path.join(dir, 'cgroup.procs')).trim() === ''), 'cgroup.kill emptied the cgroup');
  t.equal(inNs(['delete', id]).code, 0);
});

t.test('devices: an eBPF program enforces the rules; allowed devices open, others do not', { skip }, async (t) => {
  const caps = (s: Spec) => {
    for (const k of ['bounding', 'effective', 'permitted'] as const) s.process!.capabilities![k]!.push('CAP_MKNOD');
  };
  // loop-control (c 10:237) is not among runc's default devices.
  const probe = [
    'sh',
    '-c',
    'mknod /dev/lc c 10 237 && (: < /dev/lc && echo OPENED || echo REFUSED); cat /dev/null && echo NULL-OK; sleep 1000',
  ];
  const denied = env.id();
  t.equal(runIn(testSpec(probe, caps), denied).code, 0);
  const allowed = env.id();
  t.equal(
    runIn(
      testSpec(probe, (s) => {
        caps(s);
        s.linux!.resources!.devices!.push({ allow: true, type: 'c', major: 10, minor: 237, access: 'rw' });
      }),
      allowed,
    ).code,
    0,
  );
  const outOf = (id: string) => text(path.join(env.dir, `out-${id}`));
  t.ok(await waitFor(() => /NULL-OK/.test(outOf(denied)) && /NULL-OK/.test(outOf(allowed))));
  t.match(
    outOf(denied),
    /can't open \/dev\/lc: Operation not permitted/,
    'a device outside the rules cannot be opened',
  );
  t.notMatch(outOf(denied), /OPENED/);
  t.match(outOf(allowed), /OPENED/, 'a device the config allows can');
  const addon = require(path.join(__dirname, '..', '..', 'build', 'Release', 'carton.node')) as {
    bpfDeviceCount(d: string): number;
  };
  t.equal(addon.bpfDeviceCount(path.join(unified, 'carton', denied)), 1, 'one device program attached');
  const upd = inNs(['update', '-r', '-', allowed], JSON.stringify({ devices: [{ allow: false, access: 'rwm' }] }));
  t.equal(upd.code, 0, upd.stderr);
  t.equal(
    addon.bpfDeviceCount(path.join(unified, 'carton', allowed)),
    1,
    'update replaced the program, not stacked one',
  );
  t.equal(inNs(['delete', '--force', denied]).code, 0);
  t.equal(inNs(['delete', '--force', allowed]).code, 0);
});

t.test('devices: a linux.devices node adds nothing to the eBPF program', { skip }, async (t) => {
  // Before the fix the node became an allow rule in the program and this
  // printed WROTE (the host's kernel log got the line); runc 1.1.5 refuses.
  const id = env.id();
  t.equal(
    runIn(
      testSpec(['sh', '-c', 'echo carton-devices-test > /dev/kmsg && echo WROTE || echo REFUSED; sleep 1000'], (s) => {
        s.linux!.resources = { devices: [{ allow: false, access: 'rwm' }] };
        s.linux!.devices = [{ path: '/dev/kmsg', type: 'c', major: 1, minor: 11, fileMode: 0o666 }];
      }),
      id,
    ).code,
    0,
  );
  const out = path.join(env.dir, `out-${id}`);
  t.ok(await waitFor(() => /WROTE|REFUSED/.test(text(out))));
  t.match(text(out), /can't create \/dev\/kmsg: Operation not permitted/);
  t.notMatch(text(out), /WROTE/);
  t.equal(inNs(['delete', '--force', id]).code, 0);
});

t.test(
  'limits whose controller is not enabled on cgroup2 fail naming field and controller; unified core files are written',
  { skip },
  async (t) => {
    for (const [res, re] of [
      [
        { memory: { limit: 64 << 20 } },
        /linux\.resources\.memory\.limit: the memory cgroup controller is not available on this host: not enabled in \/sys\/fs\/cgroup\/carton\//,
      ],
      [{ pids: { limit: 10 } }, /linux\.resources\.pids\.limit: the pids cgroup controller/],
      [{ blockIO: { weight: 100 } }, /linux\.resources\.blockIO\.weight: the blkio cgroup controller \(v2: io\)/],
      [{ unified: { 'memory.high': '1000000' } }, /unified\["memory\.high"\]: the memory controller is not enabled/],
      [{ memory: { limit: 100, swap: 50 } }, /memory\+swap limit should be >= memory limit/],
      [{ cpu: { realtimeRuntime: 1000 } }, /cgroup v2 has no realtime/],
    ] as const) {
      const id = env.id();
      const r = runIn(
        testSpec(['true'], (s) => (s.linux!.resources = res as never)),
        id,
      );
      t.equal(r.code, 1);
      t.match(text(r.out), re);
      t.notOk(fs.existsSync(path.join(unified, 'carton', id)), 'no cgroup left');
    }
    const id = env.id();
    t.equal(
      runIn(
        testSpec(['sleep', '1000'], (s) => (s.linux!.resources = { unified: { 'cgroup.max.descendants': '5' } })),
        id,
      ).code,
      0,
    );
    t.equal(text(path.join(unified, 'carton', id, 'cgroup.max.descendants')).trim(), '5');
    const st = inNs(['events', '--stats', id]);
    t.equal(st.code, 0, st.stderr);
    const ev = JSON.parse(st.stdout) as { data: Record<string, unknown> };
    t.same(Object.keys(ev.data), [
      'cpu',
      'cpuset',
      'memory',
      'pids',
      'blkio',
      'hugetlb',
      'intel_rdt',
      'network_interfaces',
    ]);
    t.equal(inNs(['delete', '--force', id]).code, 0);
  },
);
