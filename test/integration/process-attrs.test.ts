// linux.netDevices, linux.personality, process.scheduler and
// process.ioPriority, each observed from inside the container: `ip addr`,
// `uname -m`, /proc/self/sched, `ionice`.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { Env, testSpec } from '../helpers';
import type { Spec } from '../../src/spec/types';

const env = new Env('attrs');
const links = new Set<string>();
t.teardown(() => {
  const leaks = env.cleanup();
  for (const l of links) {
    if (fs.existsSync(`/sys/class/net/${l}`)) {
      leaks.push(`link ${l} left on the host`);
      spawnSync('ip', ['link', 'del', l]);
    }
  }
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

function see(script: string, edit: (s: Spec) => void): { code: number | null; out: string; err: string } {
  const r = env.carton(['run', '--bundle', env.bundle(testSpec(['sh', '-c', script], edit)), env.id()]);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

/**
 * A host link to move. This kernel has no dummy driver, so it is one end of
 * a veth pair; when the container's namespace goes, the kernel destroys the
 * moved end and, with it, the peer left on the host.
 */
function hostLink(tag: string): string {
  const name = `cv${tag}${process.pid % 10000}`;
  ip('link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`);
  links.add(name).add(`${name}p`);
  return name;
}

/** The /proc/self/sched value of one field. */
function sched(out: string, field: string): string {
  return new RegExp(`^${field}\\s+:\\s+(\\S+)$`, 'm').exec(out)?.[1] ?? '';
}

t.test('netDevices: a host link moves in, renamed, with its permanent global addresses, and is up', async (t) => {
  const link = hostLink('a');
  ip('addr', 'add', '10.213.7.2/24', 'dev', link);
  ip('-6', 'addr', 'add', 'fd00:77::2/64', 'dev', link, 'nodad');
  const r = see('ip -o link show eth7; ip -o addr show dev eth7; ip -o link show ' + link + ' 2>&1 || true', (s) => {
    s.linux!.netDevices = { [link]: { name: 'eth7' } };
  });
  t.equal(r.code, 0, r.err);
  t.match(r.out, /^\d+: eth7@\S+: <[^>]*\bUP\b[^>]*>/m, 'renamed to eth7 and set up');
  t.match(r.out, /inet 10\.213\.7\.2\/24 .*scope global eth7/, 'IPv4 address kept');
  t.match(r.out, /inet6 fd00:77::2\/64 scope global/, 'IPv6 address kept');
  t.notMatch(r.out, /inet6 fd00:77::2\/64 scope global tentative/, 'nodad kept');
  t.match(r.out, /can't find device/, 'the host name is not there inside');
  t.notOk(fs.existsSync(`/sys/class/net/${link}`), 'gone from the host while moved; destroyed with the namespace');
});

t.test('netDevices: without a name the link keeps its host name; "%d" lets the kernel number it', async (t) => {
  const a = hostLink('b');
  const b = hostLink('c');
  const r = see(`ip -o link show ${a} | cut -d: -f2; ip -o link | grep -c 'net[0-9]@'`, (s) => {
    s.linux!.netDevices = { [a]: {}, [b]: { name: 'net%d' } };
  });
  t.equal(r.code, 0, r.err);
  t.equal(r.out.trim().split('\n')[1], '1', 'one link named net<N>');
  t.match(r.out.split('\n')[0], new RegExp(`^\\s*${a}@`), 'host name kept');
});

t.test('netDevices: errors name the device and leave the link on the host', async (t) => {
  const link = hostLink('d');
  const cases: Array<[string, (s: Spec) => void, RegExp]> = [
    [
      'no such link',
      (s) => (s.linux!.netDevices = { cvnone0: {} }),
      /\/linux\/netDevices\/cvnone0: no network device "cvnone0" on the host/,
    ],
    [
      'needs its own network namespace',
      (s) => {
        s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network');
        s.linux!.netDevices = { [link]: {} };
      },
      /\/linux\/netDevices: moving network devices needs a new network namespace/,
    ],
    [
      'a bad name',
      (s) => (s.linux!.netDevices = { [link]: { name: 'a/b' } }),
      /\/linux\/netDevices\/\S+\/name: invalid network device name "a\/b"/,
    ],
    [
      'a name taken inside (lo)',
      (s) => (s.linux!.netDevices = { [link]: { name: 'lo' } }),
      /\/linux\/netDevices\/\S+\/name: "lo" already exists in the container's network namespace/,
    ],
  ];
  for (const [name, edit, re] of cases) {
    const id = env.id();
    const r = env.carton(['run', '--bundle', env.bundle(testSpec(['true'], edit)), id]);
    t.equal(r.code, 1, name);
    t.match(r.stderr, re, name);
    t.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line`);
    t.notOk(fs.existsSync(path.join(env.root, id)), `${name}: no state left`);
    t.ok(fs.existsSync(`/sys/class/net/${link}`), `${name}: the link is still on the host`);
  }
  ip('link', 'del', link);
});

t.test('personality LINUX32: uname -m reports a 32-bit machine; LINUX leaves it', async (t) => {
  const r32 = see('uname -m', (s) => (s.linux!.personality = { domain: 'LINUX32' }));
  t.equal(r32.code, 0, r32.err);
  t.equal(r32.out.trim(), 'i686');
  const r64 = see('uname -m', (s) => (s.linux!.personality = { domain: 'LINUX' }));
  t.equal(r64.out.trim(), spawnSync('uname', ['-m'], { encoding: 'utf8' }).stdout.trim());
  const bad = env.carton([
    'run',
    '--bundle',
    env.bundle(testSpec(['true'], (s) => (s.linux!.personality = { domain: 'LINUX', flags: ['ADDR_NO_RANDOMIZE'] }))),
    env.id(),
  ]);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /\/linux\/personality\/flags: unsupported flag "ADDR_NO_RANDOMIZE"/);
});

t.test('scheduler: policy and nice reach the process and its children', async (t) => {
  const r = see(
    'cat /proc/self/sched; echo ==; sh -c "cat /proc/self/sched"',
    (s) => (s.process!.scheduler = { policy: 'SCHED_BATCH', nice: 7 }),
  );
  t.equal(r.code, 0, r.err);
  const [self = '', child = ''] = r.out.split('==');
  t.equal(sched(self, 'policy'), '3', 'SCHED_BATCH');
  t.equal(sched(self, 'prio'), '127', 'nice 7');
  t.equal(sched(child, 'policy'), '3', 'inherited');
  const idle = see('cat /proc/self/sched', (s) => (s.process!.scheduler = { policy: 'SCHED_IDLE' }));
  t.equal(sched(idle.out, 'policy'), '5', 'SCHED_IDLE');
  // Reset-on-fork gives children of a negative nice the default nice (and
  // of a real-time policy SCHED_OTHER, which RT group scheduling forbids here).
  const reset = see(
    'cat /proc/self/sched; exit 0',
    (s) => (s.process!.scheduler = { policy: 'SCHED_OTHER', nice: -5, flags: ['SCHED_FLAG_RESET_ON_FORK'] }),
  );
  t.equal(reset.code, 0, reset.err);
  t.equal(sched(reset.out, 'prio'), '120', 'the forked cat is back at nice 0');
  const noReset = see(
    'cat /proc/self/sched; exit 0',
    (s) => (s.process!.scheduler = { policy: 'SCHED_OTHER', nice: -5 }),
  );
  t.equal(sched(noReset.out, 'prio'), '115', 'without the flag it inherits nice -5');
});

t.test('scheduler: bad values are refused naming the field; kernel refusals name the policy', async (t) => {
  const cases: Array<
    [string, Spec['process'] extends infer P ? (P extends { scheduler?: infer S } ? S : never) : never, RegExp]
  > = [
    [
      'FIFO without priority',
      { policy: 'SCHED_FIFO' },
      /\/process\/scheduler\/priority: SCHED_FIFO needs a priority in 1\.\.99, got 0/,
    ],
    [
      'priority on OTHER',
      { policy: 'SCHED_OTHER', priority: 5 },
      /\/process\/scheduler\/priority: must be 0 for SCHED_OTHER, got 5/,
    ],
    ['nice out of range', { policy: 'SCHED_OTHER', nice: 40 }, /\/process\/scheduler\/nice: 40 is outside -20\.\.19/],
    [
      'deadline fields on BATCH',
      { policy: 'SCHED_BATCH', runtime: 1000 },
      /runtime, deadline and period can only be used with SCHED_DEADLINE/,
    ],
    ['SCHED_ISO does not exist in Linux', { policy: 'SCHED_ISO' }, /sched_setattr SCHED_ISO: invalid argument/],
  ];
  for (const [name, sch, re] of cases) {
    const id = env.id();
    const r = env.carton(['run', '--bundle', env.bundle(testSpec(['true'], (s) => (s.process!.scheduler = sch))), id]);
    t.equal(r.code, 1, name);
    t.match(r.stderr, re, name);
    t.notOk(fs.existsSync(path.join(env.root, id)), `${name}: no state left`);
  }
});

t.test('ioPriority: class and level as ionice sees them', async (t) => {
  const be = see('ionice -p $$', (s) => (s.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 }));
  t.equal(be.code, 0, be.err);
  t.equal(be.out.trim(), 'best-effort: prio 6');
  const idle = see(
    'ionice -p $$; sh -c "ionice -p \\$\\$"',
    (s) => (s.process!.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 }),
  );
  t.same(idle.out.trim().split('\n'), ['idle', 'idle'], 'children inherit it');
  const rt = see('ionice -p $$', (s) => (s.process!.ioPriority = { class: 'IOPRIO_CLASS_RT', priority: 1 }));
  t.equal(rt.out.trim(), 'realtime: prio 1');
  const bad = env.carton([
    'run',
    '--bundle',
    env.bundle(testSpec(['true'], (s) => (s.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 9 }))),
    env.id(),
  ]);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /\/process\/ioPriority\/priority: 9 is outside 0\.\.7/);
});

t.test('memoryPolicy: the task policy as /proc/self/numa_maps shows it', async (t) => {
  const policy = (out: string) => out.trim().split('\n')[0]?.split(' ')[1];
  const bind = see('cat /proc/self/numa_maps', (s) => (s.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' }));
  t.equal(bind.code, 0, bind.err);
  t.equal(policy(bind.out), 'bind:0');
  const il = see(
    'cat /proc/self/numa_maps',
    (s) => (s.linux!.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '0', flags: ['MPOL_F_STATIC_NODES'] }),
  );
  t.equal(policy(il.out), 'interleave=static:0');
  const none = see('cat /proc/self/numa_maps', () => undefined);
  t.equal(policy(none.out), 'default');
  const cases: Array<[string, NonNullable<Spec['linux']>['memoryPolicy'], RegExp]> = [
    ['BIND without nodes', { mode: 'MPOL_BIND' }, /\/linux\/memoryPolicy\/nodes: MPOL_BIND needs at least one node/],
    ['LOCAL with nodes', { mode: 'MPOL_LOCAL', nodes: '0' }, /\/linux\/memoryPolicy\/nodes: MPOL_LOCAL takes no nodes/],
    ['bad list', { mode: 'MPOL_BIND', nodes: '3-1' }, /\/linux\/memoryPolicy\/nodes: invalid node range "3-1"/],
    [
      'a node the host lacks',
      { mode: 'MPOL_BIND', nodes: '7' },
      /\/linux\/memoryPolicy\/nodes: memory node 7 does not exist on this host/,
    ],
  ];
  for (const [name, mp, re] of cases) {
    const id = env.id();
    const r = env.carton(['run', '--bundle', env.bundle(testSpec(['true'], (s) => (s.linux!.memoryPolicy = mp))), id]);
    t.equal(r.code, 1, name);
    t.match(r.stderr, re, name);
    t.notOk(fs.existsSync(path.join(env.root, id)), `${name}: no state left`);
  }
});
