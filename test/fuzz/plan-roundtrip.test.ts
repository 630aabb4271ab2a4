// The plan's two sides agree: plans the real encoder (src/plan/encode/)
// writes from real configs (src/plan/build.ts, exec.ts, hooks) are decoded by
// carton-init's real decoder (native/init/plan*.cc, built into
// native/fuzz/plan_dump with ASan + UBSan), and every field comes back as it
// went in. Together the plans carry every tag of src/plan/format.ts, so a
// tag added on one side only, or a layout that differs, fails here. Needs a
// C++ compiler and the addon (seccomp), but no root and no container.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import t from 'tap';
import { planHooks } from '../../src/container/hooks';
import { buildPlan } from '../../src/plan/build';
import { encodePlan } from '../../src/plan/encode';
import { NO_FD, NO_UMASK, TAG, TAGS } from '../../src/plan/format';
import type { Plan } from '../../src/plan/types';
import { exampleSpec } from '../../src/spec/defaults';
import type { Spec } from '../../src/spec/types';
import { execPlan } from '../fixtures/plans';

const ROOT = path.resolve(__dirname, '../..');

/** A config that sets every field the plan has a record for. */
function richSpec(bundle: string): Spec {
  const spec = exampleSpec();
  spec.hostname = 'h';
  spec.domainname = 'd';
  spec.root = { path: 'rootfs', readonly: true };
  const proc = spec.process!;
  proc.terminal = true;
  proc.consoleSize = { height: 24, width: 80 };
  proc.cwd = '/work';
  proc.args = ['sh', '-c', 'true'];
  proc.env = ['PATH=/bin', 'A=1'];
  proc.user = { uid: 1000, gid: 1000, umask: 0o27, additionalGids: [5, 6] };
  proc.rlimits = [
    { type: 'RLIMIT_NOFILE', hard: 4096, soft: 1024 },
    { type: 'RLIMIT_CORE', hard: 2 ** 53, soft: 0 },
  ];
  proc.noNewPrivileges = true;
  proc.oomScoreAdj = -100;
  proc.scheduler = { policy: 'SCHED_BATCH', nice: -5, flags: ['SCHED_FLAG_RESET_ON_FORK'] };
  proc.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 4 };
  spec.mounts = [
    ...(spec.mounts ?? []),
    { destination: '/b', type: 'bind', source: bundle, options: ['rbind', 'ro', 'rprivate'] },
    {
      destination: '/i',
      type: 'bind',
      source: bundle,
      options: ['bind'],
      uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      gidMappings: [
        { containerID: 0, hostID: 200000, size: 10 },
        { containerID: 10, hostID: 300000, size: 5 },
      ],
    },
    // read-only tmpfs: mounted writable, made read-only late (MOUNT_DEFER_RDONLY)
    // tmpcopyup: a tmpfs filled from the image (MountKind.TmpCopyUp)
    { destination: '/etc', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup', 'mode=755'] },
    { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'ro', 'mode=1777', 'size=1m'] },
  ];
  const linux = spec.linux!;
  linux.namespaces = [
    { type: 'pid' },
    { type: 'network' },
    { type: 'ipc', path: '/proc/1/ns/ipc' },
    { type: 'uts' },
    { type: 'mount' },
    { type: 'cgroup' },
    { type: 'time' },
  ];
  linux.rootfsPropagation = 'private';
  linux.timeOffsets = { monotonic: { secs: -5, nanosecs: 7 }, boottime: { secs: 3600 } };
  linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.msgmax': '8192' };
  linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 0 }];
  linux.maskedPaths = ['/proc/kcore', '/proc/keys'];
  linux.readonlyPaths = ['/proc/sys'];
  linux.netDevices = { lo: { name: 'eth7' } };
  linux.personality = { domain: 'LINUX32' };
  linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_STATIC_NODES'] };
  linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_ERRNO' }] };
  spec.hooks = {
    createContainer: [{ path: '/bin/true', args: ['true', 'x'], env: ['E=1'], timeout: 5 }],
    startContainer: [{ path: '/bin/false' }],
    prestart: [{ path: '/bin/true' }],
  };
  return spec;
}

const cgroup = { mode: 'v2', path: '/carton/c1', dirs: { '': '/sys/fs/cgroup/carton/c1' }, created: [] } as const;

function createPlan(spec: Spec, bundle: string, noPivot: boolean): Plan {
  const p = buildPlan(
    { dir: bundle, spec, rootfs: path.join(bundle, 'rootfs') },
    {
      id: 'c1',
      noPivot,
      noNewKeyring: false,
      preserved: 2,
      console: Boolean(spec.process?.terminal),
      layout: { mode: 'v2', v1: [] },
      cgroup: { ...cgroup, created: [] },
    },
  );
  // As create.ts does.
  return Object.assign(p, planHooks(spec), { trace: true });
}

/** A new user namespace: bind sources are opened by stage A (MOUNT_DETACHED_SOURCE). */
function userNsSpec(bundle: string): Spec {
  const spec = exampleSpec();
  spec.linux!.namespaces = [...spec.linux!.namespaces!, { type: 'user' }];
  spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  spec.mounts = [...(spec.mounts ?? []), { destination: '/b', type: 'bind', source: bundle, options: ['rbind'] }];
  return spec;
}

/** What struct plan must hold after decoding p (the fields plan_dump prints). */
function expected(p: Plan): unknown {
  const s = (v: bigint | number) => BigInt.asUintN(64, BigInt(v)).toString();
  const fd = (n: number) => (n === NO_FD ? -1 : n);
  const a = p.attrs ?? {};
  return {
    ns_new: p.nsNew,
    joins: p.nsJoin,
    hostname: p.hostname ?? null,
    domainname: p.domainname ?? null,
    rootfs: p.exec ? null : p.rootfs,
    root_readonly: p.rootReadonly,
    rootfs_propagation: p.exec ? 0 : p.rootfsPropagation,
    no_pivot: p.noPivot,
    mounts: p.mounts.map((m) => ({
      kind: m.kind,
      flags: m.flags,
      propagation: m.propagation,
      attr_clr: m.attrClr,
      attr_set: m.attrSet,
      defer_ro: Boolean(m.deferReadonly),
      detached: Boolean(m.detachedSource),
      source: m.source,
      target: m.target,
      fstype: m.fstype,
      data: m.data,
      ...(m.idmap
        ? {
            idmap: {
              recursive: m.idmap.recursive,
              uid: m.idmap.uid.map((x) => [x.containerID, x.hostID, x.size]),
              gid: m.idmap.gid.map((x) => [x.containerID, x.hostID, x.size]),
            },
          }
        : {}),
    })),
    devices: p.devices.map((d) => ({
      type: d.type.charCodeAt(0),
      major: d.major,
      minor: d.minor,
      mode: d.mode,
      uid: d.uid,
      gid: d.gid,
      bind: d.bind ? 1 : 0,
      path: d.path,
    })),
    symlinks: p.symlinks,
    masked: p.maskedPaths,
    readonly: p.readonlyPaths,
    sysctls: p.sysctl,
    cwd: p.cwd,
    args: p.args,
    env: p.env,
    uid: p.user.uid,
    gid: p.user.gid,
    umask: p.user.umask ?? NO_UMASK,
    groups: p.user.additionalGids,
    rlimits: p.rlimits.map((r) => ({ resource: r.resource, soft: s(r.soft), hard: s(r.hard) })),
    has_caps: true,
    cap_bounding: s(p.caps.bounding),
    cap_effective: s(p.caps.effective),
    cap_inheritable: s(p.caps.inheritable),
    cap_permitted: s(p.caps.permitted),
    cap_ambient: s(p.caps.ambient),
    no_new_privs: p.noNewPrivileges,
    has_oom: p.oomScoreAdj !== undefined,
    oom_score_adj: p.oomScoreAdj ?? 0,
    terminal: p.terminal !== undefined,
    rows: p.terminal?.rows ?? 0,
    cols: p.terminal?.cols ?? 0,
    sync_fd: p.fds.sync,
    fifo_fd: fd(p.fds.fifo),
    console_fd: fd(p.fds.console),
    first_own: p.fds.firstOwn,
    time_offsets: p.timeOffsets.map((x) => ({ clock: x.clock, secs: Number(x.secs), nsecs: x.nsecs })),
    session_keyring: p.sessionKeyring ?? null,
    seccomp_prog: [...(p.seccomp?.program ?? [])],
    seccomp_flags: p.seccomp?.flags ?? 0,
    seccomp_stage: p.seccomp?.stage ?? 0,
    exec_now: Boolean(p.exec),
    hooks_pause: Boolean(p.hooksPause),
    trace: Boolean(p.trace),
    hooks: (p.hooks ?? []).map((h) => ({
      kind: h.kind,
      timeout: h.timeout,
      path: h.path,
      args: h.args.length ? h.args : [h.path],
      env: h.env,
    })),
    net_devices: p.netDevices ?? [],
    has_personality: a.personality !== undefined,
    personality: a.personality ?? 0,
    has_scheduler: a.scheduler !== undefined,
    sched_policy: a.scheduler?.policy ?? 0,
    sched_flags: s(a.scheduler?.flags ?? 0n),
    sched_nice: a.scheduler?.nice ?? 0,
    sched_priority: a.scheduler?.priority ?? 0,
    sched_runtime: s(a.scheduler?.runtime ?? 0n),
    sched_deadline: s(a.scheduler?.deadline ?? 0n),
    sched_period: s(a.scheduler?.period ?? 0n),
    has_ioprio: a.ioPriority !== undefined,
    ioprio: a.ioPriority ?? 0,
    has_mempolicy: a.memoryPolicy !== undefined,
    mempolicy_mode: a.memoryPolicy?.mode ?? 0,
    mempolicy_flags: a.memoryPolicy?.flags ?? 0,
    has_host_facts: true,
    last_cap: p.host.lastCap,
    setgroups: p.host.setgroups,
    mempolicy_nodes: (a.memoryPolicy?.nodes ?? []).map(s),
  };
}

function tagsOf(b: Buffer): number[] {
  const out: number[] = [];
  for (let off = 16; off < b.length; off += 8 + b.readUInt32LE(off + 4)) out.push(b.readUInt16LE(off));
  return out;
}

t.test("every tag the encoder writes is decoded by carton-init's decoder with its fields intact", async (t) => {
  const make = spawnSync('make', ['-s', '-C', path.join(ROOT, 'native/fuzz')], { encoding: 'utf8' });
  t.equal(make.status, 0, `make -C native/fuzz: ${make.stderr}`);
  if (make.status !== 0) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carton-planfmt-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'rootfs'));

  const plans: Record<string, Plan> = {
    rich: createPlan(richSpec(dir), dir, false),
    richNoPivot: createPlan(richSpec(dir), dir, true),
    exampleSpec: createPlan(exampleSpec(), dir, false),
    userNs: createPlan(userNsSpec(dir), dir, false),
    exec: execPlan(false),
  };
  const files = Object.entries(plans).map(([name, p]) => {
    const f = path.join(dir, `${name}.plan`);
    fs.writeFileSync(f, encodePlan(p));
    return f;
  });
  const r = spawnSync(path.join(ROOT, 'build/fuzz/plan_dump'), files, {
    encoding: 'utf8',
    env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0', UBSAN_OPTIONS: 'print_stacktrace=1' },
  });
  t.equal(r.status, 0, `plan_dump exited ${r.status ?? r.signal}: ${r.stderr.slice(0, 4000)}`);
  const decoded = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  t.equal(decoded.length, files.length, 'one decoded plan per file');

  const written = new Set<number>();
  Object.entries(plans).forEach(([name, p], i) => {
    const tags = tagsOf(fs.readFileSync(files[i]!));
    for (const tag of tags) written.add(tag);
    t.same(decoded[i], expected(p), `${name}: decoded = encoded (tags ${[...new Set(tags)].join(',')})`);
  });
  const missing = Object.entries(TAGS)
    .filter(([, d]) => !written.has(d.id))
    .map(([n]) => `T_${n}`);
  t.same(missing, [], 'the plans carry every tag of src/plan/format.ts');
  const kindFlags = Object.values(plans).flatMap((p) => p.mounts.map((m) => [m.deferReadonly, m.detachedSource]));
  t.ok(kindFlags.some(([d]) => d) && kindFlags.some(([, s]) => s), 'and both T_MOUNT kind bits (MOUNT_KIND_FLAG)');
});

t.test('the decoder refuses a tag it does not know, and a single-record tag twice', async (t) => {
  const make = spawnSync('make', ['-s', '-C', path.join(ROOT, 'native/fuzz')], { encoding: 'utf8' });
  t.equal(make.status, 0, `make -C native/fuzz: ${make.stderr}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carton-planfmt-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const plan = encodePlan(execPlan(false));
  const withRecord = (tag: number, payload: Buffer) => {
    const h = Buffer.alloc(8);
    h.writeUInt16LE(tag, 0);
    h.writeUInt32LE(payload.length, 4);
    const b = Buffer.concat([plan, h, payload]);
    b.writeUInt32LE(b.length, 12);
    return b;
  };
  const unused = Math.max(...Object.values(TAG)) + 1;
  const cases = {
    unknown: withRecord(unused, Buffer.alloc(0)),
    duplicate: withRecord(TAG.EXEC, Buffer.alloc(0)),
  };
  const files = Object.entries(cases).map(([name, b]) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, b);
    return f;
  });
  const r = spawnSync(path.join(ROOT, 'build/fuzz/plan_dump'), files, {
    encoding: 'utf8',
    env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' },
  });
  t.equal(r.status, 0, r.stderr);
  const out = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { error?: string });
  t.same(
    out.map((o) => o.error),
    [`plan: unknown record tag ${unused}`, `plan: duplicate record (tag ${TAG.EXEC})`],
  );
});
