// The native plan decoder (native/init/plan*.cc) against what the real
// encoder writes, under AddressSanitizer and UBSan (native/fuzz/). Needs no
// root and starts no container: it only builds and runs the harness.
//
// 1. Plans from several configs, encoded by src/plan/encode/, must all
//    decode: the two hand-written sides of the format agree on every tag the
//    encoder writes (tags 1-65: namespaces, mounts with id maps, devices,
//    hooks, seccomp, net devices, process attributes, exec plans).
// 2. Random mutations of them and random records must be rejected with a
//    "plan: ..." message or decoded: no crash, no read out of bounds, no UB.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import t from 'tap';
import { buildPlan } from '../../src/plan/build';
import { encodePlan } from '../../src/plan/encode';
import { MS, MOUNT_ATTR } from '../../src/plan/linux';
import { SeccompStage } from '../../src/plan/seccomp';
import { HookKind, MountKind, type Plan } from '../../src/plan/types';
import { exampleSpec } from '../../src/spec/defaults';
import { execPlan, minimalPlan } from '../fixtures/plans';

const ROOT = path.resolve(__dirname, '../..');
const ITERATIONS = Number(process.env.CARTON_FUZZ_ITERATIONS ?? 30000);

/** A plan that sets every field the format has. */
function everything(): Plan {
  const p = minimalPlan();
  // new mount, time, uts, user, pid and net namespaces; join an ipc one
  p.nsNew = 0x20000 | 0x80 | 0x4000000 | 0x10000000 | 0x20000000 | 0x40000000;
  p.nsJoin.push({ flag: 0x8000000, path: '/proc/1/ns/ipc' });
  p.hostname = 'h';
  p.domainname = 'd';
  p.rootReadonly = true;
  p.rootfsPropagation = MS.SLAVE | MS.REC;
  const bind = {
    kind: MountKind.Bind,
    source: '/s',
    target: '/t',
    fstype: '',
    flags: MS.BIND,
    propagation: MS.PRIVATE,
    attrClr: 0,
    attrSet: MOUNT_ATTR.RDONLY,
    data: '',
  } as const;
  p.mounts.push(
    {
      kind: MountKind.Fs,
      source: 'proc',
      target: '/proc',
      fstype: 'proc',
      flags: MS.NOSUID,
      propagation: 0,
      attrClr: 0,
      attrSet: 0,
      data: '',
    },
    { ...bind },
    {
      ...bind,
      target: '/u',
      idmap: {
        recursive: true,
        uid: [{ containerID: 0, hostID: 1000, size: 10 }],
        gid: [{ containerID: 0, hostID: 2000, size: 5 }],
      },
    },
    {
      kind: MountKind.Remount,
      source: '',
      target: '/t',
      fstype: '',
      flags: MS.RDONLY,
      propagation: 0,
      attrClr: 0,
      attrSet: 0,
      data: 'mode=755',
    },
  );
  p.devices.push({ path: '/dev/null', type: 'c', major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0, bind: false });
  p.devices.push({ path: '/dev/fuse', type: 'c', major: 10, minor: 229, mode: 0o600, uid: 0, gid: 0, bind: true });
  p.symlinks.push({ target: '/proc/self/fd', path: '/dev/fd' });
  p.maskedPaths.push('/proc/kcore');
  p.readonlyPaths.push('/proc/sys');
  p.sysctl.push(['net.ipv4.ip_forward', '1']);
  p.cwd = '/work';
  p.args = ['sh', '-c', 'true'];
  p.env = ['PATH=/bin', 'A=1'];
  p.user = { uid: 1000, gid: 1000, umask: 0o22, additionalGids: [5, 6] };
  p.rlimits.push({ resource: 7, soft: 1024n, hard: 0xffffffffffffffffn });
  p.caps = { bounding: 0x3fn, effective: 1n, inheritable: 0n, permitted: 0x3fn, ambient: 1n };
  p.noNewPrivileges = true;
  p.oomScoreAdj = -100;
  p.terminal = { rows: 24, cols: 80 };
  p.fds = { sync: 7, fifo: 4, console: 5, firstOwn: 3 };
  p.timeOffsets.push({ clock: 1, secs: -5n, nsecs: 7 });
  p.sessionKeyring = 'k';
  p.hooksPause = true;
  p.hooks = [
    { kind: HookKind.CreateContainer, timeout: 5, path: '/bin/h', args: ['h', 'x'], env: ['E=1'] },
    { kind: HookKind.StartContainer, timeout: 0, path: '/bin/s', args: [], env: [] },
  ];
  p.trace = true;
  // A real filter is libseccomp's output (the addon); the decoder only checks its shape.
  p.seccomp = {
    flags: 1,
    stage: SeccompStage.BeforeReady,
    program: Buffer.alloc(8 * 4, 1),
    listenerPath: '/run/l.sock',
    listenerMetadata: 'm',
  };
  p.netDevices = [{ host: 'veth0', name: 'eth0' }];
  p.attrs = {
    personality: 8,
    ioPriority: (2 << 13) | 4,
    scheduler: { policy: 3, flags: 1n, nice: -5, priority: 0, runtime: 0n, deadline: 0n, period: 0n },
    memoryPolicy: { mode: 1, flags: 1 << 15, nodes: [1n] },
  };
  return p;
}

/** `carton spec`'s config through the real builder (no host access: a cgroup namespace, no binds). */
function fromExampleSpec(): Plan {
  const spec = exampleSpec();
  return buildPlan(
    { dir: '/b', spec, rootfs: '/b/rootfs' },
    {
      id: 'c1',
      noPivot: false,
      noNewKeyring: false,
      preserved: 2,
      console: true,
      layout: { mode: 'v2', v1: [] },
      cgroup: { mode: 'v2', path: '/carton/c1', dirs: { '': '/sys/fs/cgroup/carton/c1' }, created: [] },
    },
  );
}

t.test(
  'the plan decoder takes every plan the encoder writes and rejects mutated ones cleanly (ASan, UBSan)',
  async (t) => {
    const make = spawnSync('make', ['-s', '-C', path.join(ROOT, 'native/fuzz')], { encoding: 'utf8' });
    t.equal(make.status, 0, `make -C native/fuzz: ${make.stderr}`);
    if (make.status !== 0) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carton-fuzz-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const seeds = {
      minimal: minimalPlan(),
      everything: everything(),
      exampleSpec: fromExampleSpec(),
      exec: execPlan(true),
    };
    const files = Object.entries(seeds).map(([name, plan]) => {
      const f = path.join(dir, `${name}.plan`);
      fs.writeFileSync(f, encodePlan(plan));
      return f;
    });
    const r = spawnSync(path.join(ROOT, 'build/fuzz/plan_fuzz'), [String(ITERATIONS), ...files], {
      encoding: 'utf8',
      // The decoded plans are never freed (init execs or exits); leaks are not the question here.
      env: {
        ...process.env,
        ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=0',
        UBSAN_OPTIONS: 'print_stacktrace=1',
        FUZZ_SEED: process.env.FUZZ_SEED ?? '1',
      },
      timeout: 240_000,
    });
    t.equal(r.status, 0, `plan_fuzz exited ${r.status ?? r.signal}: ${r.stderr.slice(0, 4000)}`);
    const m = /^(\d+) seeds decoded; (\d+) inputs: (\d+) accepted, (\d+) rejected cleanly$/m.exec(r.stdout);
    t.ok(m, `harness summary: ${r.stdout}`);
    t.equal(Number(m?.[1]), files.length, 'every encoded plan decoded');
    t.equal(Number(m?.[2]), ITERATIONS);
    t.ok(Number(m?.[4]) > ITERATIONS / 2, 'most mutations are rejected (the checks are reached)');
  },
);
