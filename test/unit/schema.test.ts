// Schema validation: the official runtime-spec v1.3.0 test vectors, realistic
// configs as emitted by runc/containerd, and our own bad cases with the exact
// one-line message each must produce. Run after `npm run build:schemas`.
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ConfigError,
  parseConfig,
  validateConfig,
  validateFeatures,
  validateResources,
  validateState,
} from '../../src/spec/validate';

// shared/ sits beside the checkout (CI, /work/main) or beside the folder of
// worktrees (/work/wt/<name>): the nearest one above the repository.
const SPEC =
  ['../../..', '../../../..']
    .map((up) => path.resolve(__dirname, up, 'shared/reference/runtime-spec-v1.3.0'))
    .find((d) => existsSync(d)) ?? path.resolve(__dirname, '../../../shared/reference/runtime-spec-v1.3.0');
const vectors = (kind: string, verdict: 'good' | 'bad') => {
  const dir = path.join(SPEC, 'schema/test', kind, verdict);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f, text: readFileSync(path.join(dir, f), 'utf8') }));
};
// carton validates Linux configs only; freebsd/zos sections are just "an object".
const linuxOnly = (v: { name: string }) => !/^(freebsd|zos)-/.test(v.name);

// `runc spec` (runc 1.2) output.
const RUNC_SPEC = {
  ociVersion: '1.2.0',
  process: {
    terminal: true,
    user: { uid: 0, gid: 0 },
    args: ['sh'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
    cwd: '/',
    capabilities: {
      bounding: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      effective: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      permitted: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
    },
    rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
    noNewPrivileges: true,
  },
  root: { path: 'rootfs', readonly: true },
  hostname: 'runc',
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc' },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
    },
  ],
  linux: {
    resources: { devices: [{ allow: false, access: 'rwm' }] },
    namespaces: [
      { type: 'pid' },
      { type: 'network' },
      { type: 'ipc' },
      { type: 'uts' },
      { type: 'mount' },
      { type: 'cgroup' },
    ],
    maskedPaths: [
      '/proc/acpi',
      '/proc/asound',
      '/proc/kcore',
      '/proc/keys',
      '/proc/latency_stats',
      '/proc/timer_list',
      '/proc/timer_stats',
      '/proc/sched_debug',
      '/sys/firmware',
      '/proc/scsi',
    ],
    readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
  },
};

// The kind of config Docker/containerd hand to runc: every section in use.
const ENGINE_SPEC = {
  ...RUNC_SPEC,
  ociVersion: '1.1.0+dev',
  process: {
    ...RUNC_SPEC.process,
    terminal: false,
    consoleSize: { height: 24, width: 80 },
    user: { uid: 1000, gid: 1000, umask: 18, additionalGids: [10, 1000] },
    rlimits: [
      { type: 'RLIMIT_NOFILE', hard: 2 ** 64 /* what JSON.parse makes of 18446744073709551615 */, soft: 1048576 },
    ],
    apparmorProfile: 'docker-default',
    oomScoreAdj: -999,
    scheduler: { policy: 'SCHED_OTHER', nice: 5 },
    ioPriority: { class: 'IOPRIO_CLASS_BE', priority: 4 },
    execCPUAffinity: { initial: '0', final: '0-3,7' },
  },
  hooks: { createRuntime: [{ path: '/usr/bin/netns-hook', args: ['netns-hook', 'add'], timeout: 10 }] },
  annotations: { 'io.kubernetes.cri.container-type': 'container', 'com.example/with-slash': '' },
  mounts: [
    ...RUNC_SPEC.mounts,
    { destination: 'data', type: 'bind', source: '/srv/data', options: ['rbind', 'rprivate'] },
    {
      destination: '/mapped',
      type: 'bind',
      source: '/srv/mapped',
      options: ['bind', 'idmap'],
      uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    },
  ],
  linux: {
    ...RUNC_SPEC.linux,
    cgroupsPath: 'system.slice:docker:4f1c',
    rootfsPropagation: 'rslave',
    sysctl: { 'net.ipv4.ip_unprivileged_port_start': '0' },
    devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 8630, uid: 0, gid: 0 }],
    resources: {
      devices: [
        { allow: false, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      ],
      memory: { limit: 536870912, swap: -1, reservation: 0 },
      cpu: { shares: 2, quota: -1, period: 100000, cpus: '0-1' },
      pids: {},
      blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }] },
      unified: { 'memory.high': 'max' },
    },
    seccomp: {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      flags: ['SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
        {
          names: ['clone'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 38,
          args: [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
        },
      ],
    },
    personality: { domain: 'LINUX' },
    timeOffsets: { monotonic: { secs: -3600, nanosecs: 0 } },
    unknownFutureField: { whatever: true },
  },
  windows: {},
};

/** Returns a deep copy of `base` after `fn` edits it. */
function mutate<T>(base: T, fn: (c: any) => void): T {
  const c = structuredClone(base);
  fn(c);
  return c;
}

/** Asserts that `fn` throws a ConfigError with exactly `message` and `pointer`. */
function rejects(tt: tap.Test, fn: () => void, message: string, pointer: string) {
  try {
    fn();
  } catch (err) {
    tt.ok(err instanceof ConfigError, 'throws ConfigError');
    tt.equal((err as ConfigError).message, message);
    tt.equal((err as ConfigError).path, pointer);
    tt.notMatch((err as Error).message, /\n/, 'one line');
    return;
  }
  tt.fail(`expected to throw: ${message}`);
}

t.test('official config vectors', async (tt) => {
  const good = vectors('config', 'good').filter(linuxOnly);
  tt.same(
    good.map((v) => v.name),
    ['linux-netdevice.json', 'linux-rdma.json', 'minimal-for-start.json', 'minimal.json', 'spec-example.json'],
  );
  for (const v of good) tt.doesNotThrow(() => validateConfig(parseConfig(v.text, v.name), v.name), v.name);

  const bad = vectors('config', 'bad').filter(linuxOnly);
  const expected: Record<string, [string, string]> = {
    'invalid-json.json': [
      "invalid-json.json: invalid JSON: Expected property name or '}' in JSON at position 1 (line 1 column 2)",
      '',
    ],
    'linux-hugepage.json': [
      'linux-hugepage.json: /linux/resources/hugepageLimits/0/pageSize must be a page size such as "2MB" or "64KB", got "64kB"',
      '/linux/resources/hugepageLimits/0/pageSize',
    ],
    'linux-netdevice.json': [
      'linux-netdevice.json: /linux/netDevices/eth0/name must be string',
      '/linux/netDevices/eth0/name',
    ],
    'linux-rdma.json': [
      'linux-rdma.json: /linux/resources/rdma/mlx5_1/hcaHandles must be integer',
      '/linux/resources/rdma/mlx5_1/hcaHandles',
    ],
  };
  tt.same(
    bad.map((v) => v.name),
    Object.keys(expected),
  );
  for (const v of bad) {
    const [message, pointer] = expected[v.name]!;
    rejects(tt, () => validateConfig(parseConfig(v.text, v.name), v.name), message, pointer);
  }
});

t.test('official state and features vectors', async (tt) => {
  for (const v of vectors('state', 'good'))
    tt.doesNotThrow(() => validateState(parseConfig(v.text, v.name), v.name), v.name);
  for (const v of vectors('features', 'good'))
    tt.doesNotThrow(() => validateFeatures(parseConfig(v.text, v.name), v.name), v.name);
  const [stateBad] = vectors('state', 'bad');
  rejects(
    tt,
    () => validateState(parseConfig(stateBad!.text, stateBad!.name)),
    "invalid-json.json: invalid JSON: Expected property name or '}' in JSON at position 1 (line 1 column 2)",
    '',
  );
  const [featBad] = vectors('features', 'bad');
  rejects(
    tt,
    () => validateFeatures(parseConfig(featBad!.text), featBad!.name),
    "missing-ociVersionMax.json: / must have required property 'ociVersionMax'",
    '',
  );
});

t.test('realistic configs validate', async (tt) => {
  tt.doesNotThrow(() => validateConfig(RUNC_SPEC), 'runc spec');
  tt.doesNotThrow(() => validateConfig(ENGINE_SPEC), 'engine-style config');
  // Same as runc spec --rootless adds.
  const rootless = mutate(RUNC_SPEC, (c) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    c.mounts[5] = {
      destination: '/sys',
      type: 'none',
      source: '/sys',
      options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'],
    };
    delete c.linux.resources;
  });
  tt.doesNotThrow(() => validateConfig(rootless), 'runc spec --rootless');
  tt.doesNotThrow(() => validateConfig(JSON.parse(JSON.stringify(ENGINE_SPEC))), 'survives a JSON round trip');
});

t.test('config: own bad cases name the exact path and rule', async (tt) => {
  const NS = 'pid, network, mount, ipc, uts, user, cgroup, time';
  const cases: Array<[rule: string, edit: (c: any) => void, pointer?: string]> = [
    ['/process/args must be array', (c) => (c.process.args = 'sh')],
    [
      `/linux/namespaces/0/type must be equal to one of the allowed values: ${NS}`,
      (c) => (c.linux.namespaces[0].type = 'net'),
    ],
    ["/process must have required property 'cwd'", (c) => delete c.process.cwd],
    ["/ must have required property 'ociVersion'", (c) => delete c.ociVersion, ''],
    ['/ociVersion must be a SemVer 2.0.0 version such as "1.3.0", got "1.0"', (c) => (c.ociVersion = '1.0')],
    ['/ociVersion must be string', (c) => (c.ociVersion = 1)],
    ["/root must have required property 'path'", (c) => (c.root = { readonly: true })],
    ['/root/readonly must be boolean', (c) => (c.root.readonly = 'yes')],
    ["/mounts/1 must have required property 'destination'", (c) => delete c.mounts[1].destination],
    ['/mounts/2/options/0 must be string', (c) => (c.mounts[2].options[0] = 1)],
    [
      '/mounts/0 must have property gidMappings when property uidMappings is present',
      (c) => (c.mounts[0].uidMappings = [{ containerID: 0, hostID: 1, size: 1 }]),
    ],
    ['/process/user/uid must be >= 0', (c) => (c.process.user.uid = -1)],
    ['/process/user/gid must be <= 4294967295', (c) => (c.process.user.gid = 4294967296)],
    ['/process/user/uid must be integer', (c) => (c.process.user.uid = 1.5)],
    ['/process/user/additionalGids/0 must be integer', (c) => (c.process.user.additionalGids = ['5'])],
    [
      '/process/capabilities/bounding/1 must be a capability name such as "CAP_CHOWN", got "cap_kill"',
      (c) => (c.process.capabilities.bounding[1] = 'cap_kill'),
    ],
    [
      '/process/capabilities/ambient/0 must be a capability name such as "CAP_CHOWN", got "NET_RAW"',
      (c) => (c.process.capabilities.ambient = ['NET_RAW']),
    ],
    [
      '/process/rlimits/0/type must be a resource name such as "RLIMIT_NOFILE", got "NOFILE"',
      (c) => (c.process.rlimits[0].type = 'NOFILE'),
    ],
    ["/process/rlimits/0 must have required property 'soft'", (c) => delete c.process.rlimits[0].soft],
    ['/process/rlimits/0/hard must be >= 0', (c) => (c.process.rlimits[0].hard = -1)],
    ['/process/cwd must be an absolute path, got "tmp"', (c) => (c.process.cwd = 'tmp')],
    ['/process/args must NOT have fewer than 1 items', (c) => (c.process.args = [])],
    ['/process/terminal must be boolean', (c) => (c.process.terminal = 'true')],
    ["/process/consoleSize must have required property 'width'", (c) => (c.process.consoleSize = { height: 1 })],
    ["/process/scheduler must have required property 'policy'", (c) => (c.process.scheduler = { nice: 1 })],
    [
      '/process/ioPriority/class must be equal to one of the allowed values: IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE',
      (c) => (c.process.ioPriority = { class: 'RT' }),
    ],
    [
      '/process/execCPUAffinity/final must be a CPU list such as "0-3,7", got "all"',
      (c) => (c.process.execCPUAffinity = { final: 'all' }),
    ],
    [
      '/linux/rootfsPropagation must be equal to one of the allowed values: private, shared, slave, unbindable, rprivate, rshared, rslave, runbindable',
      (c) => (c.linux.rootfsPropagation = 'bogus'),
    ],
    ["/linux/seccomp must have required property 'defaultAction'", (c) => (c.linux.seccomp = { syscalls: [] })],
    [
      '/linux/seccomp/syscalls/0/names must NOT have fewer than 1 items',
      (c) =>
        (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] }),
    ],
    [
      "/linux/seccomp/syscalls/0/args/0 must have required property 'op'",
      (c) =>
        (c.linux.seccomp = {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1 }] }],
        }),
    ],
    [
      '/linux/seccomp/architectures/0 must be equal to one of the allowed values: SCMP_ARCH_X86, SCMP_ARCH_X86_64, SCMP_ARCH_X32, SCMP_ARCH_ARM, SCMP_ARCH_AARCH64, SCMP_ARCH_LOONGARCH64, SCMP_ARCH_M68K, SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64, SCMP_ARCH_MIPS64N32, SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64, SCMP_ARCH_MIPSEL64N32, SCMP_ARCH_PPC, SCMP_ARCH_PPC64, SCMP_ARCH_PPC64LE, SCMP_ARCH_S390, SCMP_ARCH_S390X, SCMP_ARCH_SH, SCMP_ARCH_SHEB, SCMP_ARCH_PARISC, SCMP_ARCH_PARISC64, SCMP_ARCH_RISCV64',
      (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['amd64'] }),
    ],
    ["/hooks/poststop/0 must have required property 'path'", (c) => (c.hooks = { poststop: [{ args: ['x'] }] })],
    ['/hooks/prestart/0/timeout must be >= 1', (c) => (c.hooks = { prestart: [{ path: '/bin/true', timeout: 0 }] })],
    ['/annotations/a~1b must be string', (c) => (c.annotations = { 'a/b': 1 })],
    [
      '/annotations has an invalid property name "": must NOT have fewer than 1 characters',
      (c) => (c.annotations = { '': 'x' }),
    ],
    [
      '/linux/devices/0/type must be equal to one of the allowed values: c, b, u, p',
      (c) => (c.linux.devices = [{ type: 'x', path: '/dev/x' }]),
    ],
    ['/linux/resources/memory/limit must be integer', (c) => (c.linux.resources.memory = { limit: '1G' })],
    ['/linux/resources/cpu/shares must be >= 0', (c) => (c.linux.resources.cpu = { shares: -1 })],
    ['/linux/resources/blockIO/weight must be <= 65535', (c) => (c.linux.resources.blockIO = { weight: 70000 })],
    [
      '/linux/resources/devices/0/access must be a combination of the letters r, w and m, got "rwx"',
      (c) => (c.linux.resources.devices[0].access = 'rwx'),
    ],
    [
      "/linux/uidMappings/0 must have required property 'size'",
      (c) => (c.linux.uidMappings = [{ containerID: 0, hostID: 1000 }]),
    ],
    [
      '/linux/timeOffsets/boottime/nanosecs must be >= 0',
      (c) => (c.linux.timeOffsets = { boottime: { secs: 1, nanosecs: -1 } }),
    ],
    ["/linux/personality must have required property 'domain'", (c) => (c.linux.personality = { flags: [] })],
    ["/linux/memoryPolicy must have required property 'mode'", (c) => (c.linux.memoryPolicy = { nodes: '0' })],
    [
      '/linux/intelRdt/memBwSchema must start with "MB:" and be a single line, got "L3:0=f"',
      (c) => (c.linux.intelRdt = { memBwSchema: 'L3:0=f' }),
    ],
    ['/linux/sysctl/net.core.somaxconn must be string', (c) => (c.linux.sysctl = { 'net.core.somaxconn': 256 })],
    ['/linux/netDevices/eth0 must be object', (c) => (c.linux.netDevices = { eth0: 'eth1' })],
    ['/hostname must be string', (c) => (c.hostname = 5)],
    ['/linux must be object', (c) => (c.linux = [])],
  ];
  tt.ok(cases.length >= 25);
  for (const [rule, edit, pointer] of cases) {
    const ptr = pointer ?? rule.slice(0, rule.indexOf(' '));
    rejects(tt, () => validateConfig(mutate(ENGINE_SPEC, edit)), `config.json: ${rule}`, ptr);
  }
  rejects(tt, () => validateConfig([RUNC_SPEC], 'bundle/config.json'), 'bundle/config.json: / must be object', '');
  rejects(tt, () => validateConfig(null), 'config.json: / must be object', '');
});

t.test('config: accepted on purpose (runc accepts these too)', async (tt) => {
  const ok: Array<[string, (c: any) => void]> = [
    ['relative mount destination', (c) => (c.mounts[0].destination = 'proc')],
    ['no process (create-only bundle)', (c) => delete c.process],
    ['no root', (c) => delete c.root],
    ['unknown properties everywhere', (c) => ((c.future = 1), (c.process.future = [1]), (c.mounts[0].future = null))],
    ['pre-release and build semver', (c) => (c.ociVersion = '1.0.2-rc.1+dev')],
    ['uid/gid omitted', (c) => (c.process.user = {})],
    ['uint64 max (RLIM_INFINITY)', (c) => (c.process.rlimits[0].soft = 2 ** 64) /* JSON's 18446744073709551615 */],
    ['int64 min', (c) => (c.linux.resources.memory = { limit: -9223372036854775808 })],
    ['rdma', (c) => (c.linux.resources.rdma = { mlx5_1: { hcaHandles: 3 } })],
    ['other platforms as objects', (c) => ((c.solaris = {}), (c.vm = {}), (c.zos = {}), (c.freebsd = {}))],
  ];
  for (const [name, edit] of ok) tt.doesNotThrow(() => validateConfig(mutate(ENGINE_SPEC, edit)), name);
});

t.test('state', async (tt) => {
  const runcState = {
    ociVersion: '1.2.0',
    id: 'c1',
    pid: 4242,
    status: 'paused',
    bundle: '/run/bundles/c1',
    rootfs: '/run/bundles/c1/rootfs',
    created: '2024-05-01T10:00:00.123456789Z',
    owner: '',
    annotations: { a: 'b' },
  };
  tt.doesNotThrow(() => validateState(runcState), 'runc state output, paused');
  tt.doesNotThrow(() => validateState({ ...runcState, status: 'stopped', pid: 0 }));
  tt.doesNotThrow(
    () => validateState({ ociVersion: '1.2.0', id: 'c1', status: 'creating', bundle: '/b' }),
    'no pid while creating',
  );
  rejects(
    tt,
    () => validateState({ ...runcState, status: 'exited' }),
    'state.json: /status must be equal to one of the allowed values: creating, created, running, stopped, paused',
    '/status',
  );
  rejects(
    tt,
    () => validateState(mutate(runcState, (s) => ((s.status = 'running'), delete s.pid))),
    "state.json: / must have required property 'pid'",
    '',
  );
  rejects(
    tt,
    () => validateState(mutate(runcState, (s) => delete s.bundle)),
    "state.json: / must have required property 'bundle'",
    '',
  );
  rejects(tt, () => validateState({ ...runcState, pid: -1 }), 'state.json: /pid must be >= 0', '/pid');
  rejects(
    tt,
    () => validateState({ ...runcState, id: '' }),
    'state.json: /id must NOT have fewer than 1 characters',
    '/id',
  );
});

t.test('features', async (tt) => {
  const base = JSON.parse(vectors('features', 'good').find((v) => v.name === 'runc.json')!.text);
  tt.doesNotThrow(
    () =>
      validateFeatures({
        ...base,
        linux: {
          ...base.linux,
          seccomp: null,
          memoryPolicy: { modes: ['MPOL_BIND'] },
          intelRdt: { enabled: true, schemata: true, monitoring: false },
          mountExtensions: { idmap: { enabled: true } },
        },
      }),
    'v1.3.0 additions and null',
  );
  rejects(
    tt,
    () => validateFeatures({ ...base, extra: true }),
    "features.json: / must NOT have additional property 'extra'",
    '',
  );
  rejects(
    tt,
    () => validateFeatures(mutate(base, (f) => (f.linux.cgroup.v3 = true))),
    "features.json: /linux/cgroup must NOT have additional property 'v3'",
    '/linux/cgroup',
  );
  rejects(
    tt,
    () => validateFeatures(mutate(base, (f) => (f.linux.namespaces = ['net']))),
    'features.json: /linux/namespaces/0 must be equal to one of the allowed values: pid, network, mount, ipc, uts, user, cgroup, time',
    '/linux/namespaces/0',
  );
  rejects(
    tt,
    () => validateFeatures(mutate(base, (f) => (f.hooks = 'prestart'))),
    'features.json: /hooks must be array or null',
    '/hooks',
  );
  rejects(
    tt,
    () => validateFeatures({ ociVersionMin: '1.0.0', ociVersionMax: 'v1.3' }),
    'features.json: /ociVersionMax must be a SemVer 2.0.0 version such as "1.3.0", got "v1.3"',
    '/ociVersionMax',
  );
});

t.test('resources (update --resources)', async (tt) => {
  tt.doesNotThrow(() =>
    validateResources({ memory: { limit: 1 << 30 }, cpu: { quota: 50000, period: 100000 }, pids: { limit: -1 } }),
  );
  rejects(
    tt,
    () => validateResources({ pids: { limit: 'max' } }),
    'resources.json: /pids/limit must be integer',
    '/pids/limit',
  );
});

t.test('parseConfig', async (tt) => {
  tt.same(parseConfig('{"ociVersion":"1.0.0"}'), { ociVersion: '1.0.0' });
  rejects(tt, () => parseConfig(''), 'config.json: invalid JSON: Unexpected end of JSON input', '');
  rejects(
    tt,
    () => parseConfig('{\n  "a": 1,\n}\n'),
    'config.json: invalid JSON: Expected double-quoted property name in JSON at position 12 (line 3 column 1)',
    '',
  );
  try {
    parseConfig('{"a":\n\n tru}', '/b/config.json');
    tt.fail('should throw');
  } catch (err) {
    tt.match((err as Error).message, /^\/b\/config\.json: invalid JSON: [^\n]+$/);
  }
});

t.test('generated module is standalone', async (tt) => {
  const src = readFileSync(path.resolve(__dirname, '../../src/generated/validators.js'), 'utf8');
  tt.notMatch(src, /require\(["']ajv["']\)|require\(["']ajv\/dist\/(?!runtime\/)/, 'no ajv compiler at run time');
});
