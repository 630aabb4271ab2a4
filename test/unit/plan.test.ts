// Pure parts of the plan: the binary encoding, mount options, signals,
// capabilities, mountinfo parsing.
import t from 'tap';
import { parseMountinfo } from '../../src/cgroups/mounts';
import { sharesToWeight } from '../../src/cgroups/v2';
import { parseSignal } from '../../src/container/signals';
import { capsFromSpec, capNames } from '../../src/plan/caps';
import { encodePlan, NO_FD } from '../../src/plan/encode';
import { MS, MOUNT_ATTR } from '../../src/plan/linux';
import { parseOptions } from '../../src/plan/mount-options';
import { Setgroups, hostFacts } from '../../src/plan/host';
import { MountKind } from '../../src/plan/types';
import { minimalPlan } from '../fixtures/plans';

/** Walk the records of an encoded plan: [tag, payload][] */
function records(b: Buffer): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  for (let off = 16; off < b.length;) {
    const tag = b.readUInt16LE(off);
    const len = b.readUInt32LE(off + 4);
    out.push([tag, b.subarray(off + 8, off + 8 + len)]);
    off += 8 + len;
  }
  return out;
}

t.test('plan header and records', async (t) => {
  const p = minimalPlan();
  p.mounts.push({
    kind: MountKind.Bind,
    source: '/src',
    target: '/dst',
    fstype: '',
    flags: MS.BIND | MS.RDONLY,
    propagation: 0,
    attrClr: 0,
    attrSet: MOUNT_ATTR.RDONLY,
    data: '',
  });
  p.rlimits.push({ resource: 7, soft: 1024n, hard: 0xffffffffffffffffn });
  const b = encodePlan(p);
  t.equal(b.subarray(0, 8).toString('latin1'), 'CRTNPLAN');
  t.equal(b.readUInt32LE(8), 1, 'version 1');
  t.equal(b.readUInt32LE(12), b.length, 'total length');
  const recs = records(b);
  t.same(recs[0]?.[0], 24, 'T_FDS first');
  t.same([...(recs[0]?.[1] ?? [])], [6, 0, 0, 0, 3, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 3, 0, 0, 0]);
  const mount = recs.find(([tag]) => tag === 9)![1];
  t.equal(mount.readUInt32LE(0), 1, 'kind bind');
  t.equal(mount.readUInt32LE(4), MS.BIND | MS.RDONLY);
  t.equal(mount.readUInt32LE(16), MOUNT_ATTR.RDONLY, 'attr_set');
  t.equal(mount.readUInt32LE(20), 4);
  t.equal(mount.subarray(24, 28).toString(), '/src');
  const rl = recs.find(([tag]) => tag === 19)![1];
  t.equal(rl.readBigUInt64LE(12), 0xffffffffffffffffn, 'RLIM_INFINITY survives');
  t.same(records(encodePlan(p)), recs, 'deterministic');
});

t.test('id-mapped mount record (tag 60) follows the mounts and names its mount by index', async (t) => {
  const p = minimalPlan();
  const m = {
    kind: MountKind.Bind,
    source: '/s',
    target: '/t',
    fstype: '',
    flags: MS.BIND,
    propagation: 0,
    attrClr: 0,
    attrSet: 0,
    data: '',
  } as const;
  p.mounts.push(
    { ...m },
    {
      ...m,
      idmap: {
        recursive: true,
        uid: [{ containerID: 1, hostID: 2, size: 3 }],
        gid: [
          { containerID: 4, hostID: 5, size: 6 },
          { containerID: 7, hostID: 8, size: 9 },
        ],
      },
    },
  );
  const recs = records(encodePlan(p));
  const at = recs.findIndex(([tag]) => tag === 60);
  t.ok(at > recs.map(([tag]) => tag).lastIndexOf(9), 'after every T_MOUNT');
  const body = recs[at]?.[1] ?? Buffer.alloc(0);
  t.same(
    Array.from({ length: body.length / 4 }, (_, i) => body.readUInt32LE(i * 4)),
    [1, 1, 1, 1, 2, 3, 2, 4, 5, 6, 7, 8, 9],
  );
  t.equal(recs.filter(([tag]) => tag === 60).length, 1, 'only the id-mapped mount gets one');
});

t.test('network devices and process attributes (tags 61-64)', async (t) => {
  const p = minimalPlan();
  p.netDevices = [{ host: 'veth0', name: 'eth0' }];
  p.attrs = {
    personality: 8,
    ioPriority: (3 << 13) | 0,
    scheduler: { policy: 3, flags: 1n, nice: -5, priority: 0, runtime: 0n, deadline: 0n, period: 0n },
  };
  const recs = new Map(records(encodePlan(p)).map(([tag, b]) => [tag, b]));
  t.same([...recs.get(61)!], [5, 0, 0, 0, ...Buffer.from('veth0'), ...Buffer.from('eth0')]);
  t.equal(recs.get(62)!.readUInt32LE(0), 8, 'PER_LINUX32');
  const s = recs.get(63)!;
  t.equal(s.length, 4 + 8 + 4 + 4 + 24);
  t.equal(s.readUInt32LE(0), 3);
  t.equal(s.readBigUInt64LE(4), 1n);
  t.equal(s.readInt32LE(12), -5);
  t.equal(recs.get(64)!.readUInt32LE(0), 3 << 13);
  t.same(
    records(encodePlan(minimalPlan()))
      .filter(([tag]) => tag >= 60)
      .map(([tag]) => tag),
    [66],
    'absent fields, no records but the host facts',
  );
});

t.test('host facts (tag 66): read in the runtime namespace, always in the plan, exactly once', async (t) => {
  const p = minimalPlan();
  p.host = { lastCap: 40, setgroups: Setgroups.Deny };
  const recs = records(encodePlan(p)).filter(([tag]) => tag === 66);
  t.equal(recs.length, 1);
  t.same([...(recs[0]?.[1] ?? [])], [40, 0, 0, 0, 1, 0, 0, 0], 'u32 last cap | u32 setgroups');
  const h = hostFacts('none');
  t.ok(
    Number.isInteger(h.lastCap) && h.lastCap >= 37 && h.lastCap < 64,
    "a kernel's last cap (CAP_AUDIT_READ, Linux 3.16, or later)",
  );
  t.equal(h.setgroups, Setgroups.Allow, 'no user namespace: allow');
  t.equal(hostFacts('joined').setgroups, Setgroups.Ask, 'a joined user namespace: init reads it after setns(user)');
  t.equal(
    hostFacts('new').setgroups,
    process.geteuid!() === 0 ? Setgroups.Allow : Setgroups.Deny,
    'a new one: deny unless root',
  );
});

t.test('a NUL byte in a string is refused with the field named', async (t) => {
  const p = minimalPlan();
  p.args = ['a\0b'];
  t.throws(() => encodePlan(p), /process\.args: contains a NUL byte/);
});

t.test('mount options', async (t) => {
  const o = parseOptions(['nosuid', 'noexec', 'ro', 'rw', 'rprivate', 'mode=755', 'size=65536k', 'rro', 'rbind']);
  t.equal(o.flags, MS.NOSUID | MS.NOEXEC | MS.BIND | MS.REC, 'rw clears ro');
  t.equal(o.propagation, MS.PRIVATE | MS.REC);
  t.equal(o.attrSet, MOUNT_ATTR.RDONLY);
  t.same(o.data, ['mode=755', 'size=65536k']);
  t.ok(o.bind);
  t.equal(parseOptions(['bind', 'idmap']).idmap, 'idmap', 'idmap is not a mount(2) option');
  t.equal(parseOptions(['ridmap', 'idmap']).idmap, 'ridmap', 'ridmap wins');
  t.same(parseOptions(['idmap']).data, []);
  t.same(
    parseOptions(['tmpcopyup', 'mode=755']),
    { ...parseOptions(['mode=755']), copyup: true },
    'tmpcopyup is not a mount(2) option',
  );
});

t.test('signals: numbers, names, SIG-names, realtime', async (t) => {
  t.equal(parseSignal('9'), 9);
  t.equal(parseSignal('KILL'), 9);
  t.equal(parseSignal('SIGKILL'), 9);
  t.equal(parseSignal('sigterm'), 15);
  t.equal(parseSignal(undefined), 15);
  t.equal(parseSignal('SIGRTMIN+2'), 36);
  t.equal(parseSignal('RTMAX'), 64);
  t.equal(parseSignal('0'), 0, 'runc: 0 is a liveness probe');
  t.throws(() => parseSignal('65'), /invalid signal/);
  t.throws(() => parseSignal('NOPE'), /unknown signal "NOPE"/);
});

t.test('capabilities', async (t) => {
  const c = capsFromSpec({ bounding: ['CAP_CHOWN', 'CAP_KILL'], ambient: ['CAP_CHECKPOINT_RESTORE'] });
  t.equal(c.bounding, 1n | (1n << 5n));
  t.equal(c.ambient, 1n << 40n);
  t.same(capNames(c.bounding), ['CAP_CHOWN', 'CAP_KILL']);
  // runc: unknown names are dropped with one warning (stderr), not refused.
  const w = process.stderr.write.bind(process.stderr);
  let said = '';
  process.stderr.write = (s: string) => ((said += s), true);
  try {
    const d = capsFromSpec({ bounding: ['CAP_KILL', 'CAP_ZZZ', 'CAP_BOGUS'], effective: ['CAP_BOGUS'] });
    t.equal(d.bounding, 1n << 5n);
    t.equal(d.effective, 0n);
  } finally {
    process.stderr.write = w;
  }
  t.match(said, /level=warning msg="ignoring unknown or unavailable capabilities: \[CAP_BOGUS CAP_ZZZ\]"/);
});

t.test('cgroup mode from mountinfo', async (t) => {
  const hybrid = [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
    '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n');
  const h = parseMountinfo(hybrid);
  t.equal(h.mode, 'hybrid');
  t.same(
    h.v1.map((x) => x.controllers),
    [['cpu'], ['memory'], ['name=systemd']],
  );
  t.equal(h.unified?.mountPoint, '/sys/fs/cgroup/unified');
  t.equal(parseMountinfo('30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate').mode, 'v2');
  t.equal(parseMountinfo('32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct').mode, 'v1');
  t.equal(
    parseMountinfo('32 31 0:29 /x /mnt/with\\040space rw - cgroup cgroup rw,pids').v1[0]?.mountPoint,
    '/mnt/with space',
  );
});

t.test('cpu shares to v2 weight, as runc converts', async (t) => {
  t.equal(sharesToWeight(2), 1);
  t.equal(sharesToWeight(1024), 39);
  t.equal(sharesToWeight(262144), 10000);
});

t.test("exec plan: joins the init's namespaces, T_EXEC instead of a rootfs, no fifo", async (t) => {
  const { buildExecPlan } = require('../../src/plan/exec') as typeof import('../../src/plan/exec');
  const p = buildExecPlan(
    { cwd: '/w', args: ['sh'], env: ['A=1'], capabilities: { inheritable: [] } },
    { id: 'c1', initPid: 42, namespaces: ['user', 'mount', 'pid'], preserved: 1, console: true, where: 'exec' },
  );
  t.same(
    p.nsJoin.map((j) => j.path),
    ['/proc/42/ns/user', '/proc/42/ns/mnt', '/proc/42/ns/pid'],
  );
  t.equal(p.nsNew, 0, 'creates no namespace');
  t.same(p.fds, { fifo: NO_FD, console: 4, sync: 6, firstOwn: 4 }, 'preserved 3, console 4, plan 5, sync 6');
  const recs = records(encodePlan(p));
  const tags = recs.map(([tag]) => tag);
  t.ok(tags.includes(40), 'T_EXEC');
  t.notOk(tags.includes(5) || tags.includes(7), 'no T_ROOTFS / T_ROOTFS_PROPAGATION');
  t.notOk(tags.includes(41) || tags.includes(42), 'no hooks');
});

t.test('hook records', async (t) => {
  const p = minimalPlan();
  p.hooksPause = true;
  p.hooks = [{ kind: 1, timeout: 5, path: '/h', args: ['h', 'x'], env: ['K=V'] }];
  const recs = records(encodePlan(p));
  t.ok(
    recs.some(([tag, b]) => tag === 41 && b.length === 0),
    'T_HOOKS_PAUSE',
  );
  const h = recs.find(([tag]) => tag === 42)![1];
  t.same(
    [h.readUInt32LE(0), h.readUInt32LE(4), h.readUInt32LE(8), h.readUInt32LE(12)],
    [1, 5, 2, 1],
    'kind, timeout, nargs, nenv',
  );
  t.equal(h.subarray(16).toString('latin1'), '\x02\x00\x00\x00/h\x01\x00\x00\x00h\x01\x00\x00\x00x\x03\x00\x00\x00K=V');
});

t.test(
  'seccomp: names mapped, errno packed, same-argument comparisons split, default-action rules dropped',
  async (t) => {
    const { seccompFilter } = await import('../../src/plan/seccomp');
    const f = seccompFilter({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'],
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
        {
          names: ['kill'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 1,
          args: [
            { index: 1, op: 'SCMP_CMP_EQ', value: 1 },
            { index: 1, op: 'SCMP_CMP_EQ', value: 2 },
          ],
        },
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
        {
          names: ['tgkill'],
          action: 'SCMP_ACT_TRACE',
          args: [
            { index: 0, op: 'SCMP_CMP_MASKED_EQ', value: 3, valueTwo: 1 },
            { index: 2, op: 'SCMP_CMP_NE', value: 9 },
          ],
        },
      ],
    });
    t.equal(f.defaultAction, 0x00050026, 'ERRNO|38');
    t.same(f.arches, ['x86_64', 'aarch64']);
    t.same(
      f.rules.map((r) => [r.name, r.action.toString(16), r.args.length]),
      [
        ['read', '7fff0000', 0],
        ['write', '7fff0000', 0],
        ['kill', '50001', 1],
        ['kill', '50001', 1],
        ['tgkill', '7ff00001', 2],
      ],
      'mkdir = the default action, dropped; kill split into two rules',
    );
    t.same(f.rules[4]?.args[0], { index: 0, op: 7, a: 3n, b: 1n });
    t.throws(
      () => seccompFilter({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_NOPE' }] }),
      /unknown seccomp action "SCMP_ACT_NOPE"/,
    );
  },
);

t.test('seccomp record: flags, stage, binary program with NUL bytes', async (t) => {
  const p = minimalPlan();
  const prog = Buffer.from([0x20, 0, 0, 0, 4, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0xff, 0x7f]);
  p.seccomp = { flags: 2 | 8, stage: 1, program: prog };
  const rec = records(encodePlan(p)).find(([tag]) => tag === 27)![1];
  t.equal(rec.readUInt32LE(0), 10);
  t.equal(rec.readUInt32LE(4), 1);
  t.same([...rec.subarray(8)], [...prog]);
});
