// linux.seccomp on the real kernel: every action, errno returns, argument
// comparisons, flags, NOTIFY with a real agent (test/fixtures/seccomp-agent.py),
// the filter going in after no_new_privs (or before the user switch without
// it) and never filtering carton-init's own setup, and the config errors.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { Env, statusMap, testSpec } from '../helpers';
import type { Seccomp, Spec } from '../../src/spec/types';

const env = new Env('seccomp');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

const SIGSYS = 31;

function run(
  args: string[],
  seccomp: Seccomp,
  edit?: (s: Spec) => void,
): { code: number | null; out: string; err: string } {
  const spec = testSpec(args, (s) => {
    s.linux!.seccomp = seccomp;
    edit?.(s);
  });
  const r = env.carton(['run', '--bundle', env.bundle(spec), env.id()]);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

// What busybox sh, cat, ls and mkdir need (from strace), plus the usual.
const BASE = [
  'access',
  'arch_prctl',
  'brk',
  'chdir',
  'clone',
  'clone3',
  'close',
  'dup',
  'dup2',
  'dup3',
  'execve',
  'exit',
  'exit_group',
  'fcntl',
  'fstat',
  'fstatfs',
  'futex',
  'getcwd',
  'getdents64',
  'getegid',
  'geteuid',
  'getgid',
  'getpgrp',
  'getpid',
  'getppid',
  'getrandom',
  'getuid',
  'ioctl',
  'lseek',
  'lstat',
  'mmap',
  'mprotect',
  'munmap',
  'newfstatat',
  'open',
  'openat',
  'pipe',
  'pipe2',
  'prctl',
  'pread64',
  'prlimit64',
  'read',
  'readlink',
  'rmdir',
  'rseq',
  'rt_sigaction',
  'rt_sigprocmask',
  'rt_sigreturn',
  'set_robust_list',
  'set_tid_address',
  'setpgid',
  'stat',
  'statx',
  'uname',
  'vfork',
  'wait4',
  'write',
  'writev',
  'sendmsg',
  'setsid',
];

t.test('SCMP_ACT_ERRNO with errnoRet; unknown syscall names are skipped (runc)', async (t) => {
  const r = run(['sh', '-c', 'mkdir /dev/shm/x 2>&1; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'], {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['mkdir', 'mkdirat', 'no_such_syscall_xyz'], action: 'SCMP_ACT_ERRNO', errnoRet: 18 }],
  });
  t.equal(r.code, 0, r.err);
  t.match(r.out, /mkdir: can't create directory '\/dev\/shm\/x': Invalid cross-device link/);
  t.match(r.out, /NoNewPrivs:\s+1/);
  t.match(r.out, /Seccomp:\s+2/, 'filter mode');
});

t.test('SCMP_ACT_ERRNO without errnoRet returns EPERM', async (t) => {
  const r = run(['sh', '-c', 'mkdir /dev/shm/x 2>&1; true'], {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
  });
  t.equal(r.code, 0, r.err);
  t.match(r.out, /Operation not permitted/);
});

t.test('defaultAction SCMP_ACT_ERRNO with defaultErrnoRet and an allow list', async (t) => {
  const r = run(['sh', '-c', 'echo in; mkdir /dev/shm/x 2>&1; echo out'], {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 38,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names: BASE, action: 'SCMP_ACT_ALLOW' }],
  });
  t.equal(r.code, 0, r.err);
  t.match(r.out, /in\n.*Function not implemented\nout/, 'mkdir gets ENOSYS (38) from the default action');
});

for (const action of ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP']) {
  t.test(`${action} ends the process with SIGSYS`, async (t) => {
    const r = run(['mkdir', '/dev/shm/x'], {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action }],
    });
    t.equal(r.code, 128 + SIGSYS, `exit ${r.code}: ${r.err}`);
  });
}

t.test('SCMP_ACT_LOG and SCMP_ACT_TRACE (no tracer: ENOSYS)', async (t) => {
  const r = run(['sh', '-c', 'mkdir /dev/shm/logged && echo made; rmdir /dev/shm/logged 2>&1; true'], {
    defaultAction: 'SCMP_ACT_ALLOW',
    flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC'],
    syscalls: [
      { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_LOG' },
      { names: ['rmdir'], action: 'SCMP_ACT_TRACE', errnoRet: 5 },
    ],
  });
  t.equal(r.code, 0, r.err);
  t.match(r.out, /made/, 'LOG allows the call');
  // Without a tracer attached the kernel fails a TRACE'd syscall with ENOSYS.
  t.match(r.out, /rmdir: .*Function not implemented/);
});

t.test('argument comparisons: EQ, MASKED_EQ, several on one argument are ORed', async (t) => {
  const script =
    'trap "" HUP USR1 USR2; for s in HUP USR1 USR2 TERM; do kill -$s 1 2>/dev/null && echo "$s ok" || echo "$s denied"; done; kill -0 1 && echo "0 ok"';
  const r = run(['sh', '-c', script], {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      // HUP (1) or USR2 (12): two comparisons on arg 1 -> two rules.
      {
        names: ['kill'],
        action: 'SCMP_ACT_ERRNO',
        args: [
          { index: 1, op: 'SCMP_CMP_EQ', value: 1 },
          { index: 1, op: 'SCMP_CMP_EQ', value: 12 },
        ],
      },
      // TERM (15): 15 & 0xf == 0xf
      {
        names: ['kill'],
        action: 'SCMP_ACT_ERRNO',
        args: [
          { index: 1, op: 'SCMP_CMP_MASKED_EQ', value: 0xf, valueTwo: 0xf },
          { index: 0, op: 'SCMP_CMP_GE', value: 1 },
        ],
      },
    ],
  });
  t.equal(r.code, 0, r.err);
  t.match(r.out, /HUP denied\nUSR1 ok\nUSR2 denied\nTERM denied\n0 ok/);
});

t.test("the runtime's own syscalls are not filtered (the filter goes in last)", async (t) => {
  // mount, pivot_root, sethostname, capset and setresuid are carton-init's,
  // not the container's: killing them must not stop the container starting.
  const deny = {
    names: [
      'mount',
      'pivot_root',
      'umount2',
      'sethostname',
      'capset',
      'setresuid',
      'setgroups',
      'mount_setattr',
      'openat2',
    ],
    action: 'SCMP_ACT_KILL_PROCESS',
  };
  const r = run(['sh', '-c', 'hostname; id -u'], { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [deny] }, (s) => {
    s.hostname = 'sc-host';
    s.process!.user = { uid: 1000, gid: 1000 };
  });
  t.equal(r.code, 0, r.err);
  t.equal(r.out, 'sc-host\n1000\n');
});

t.test('without noNewPrivileges the filter goes in before the user switch (needs CAP_SYS_ADMIN)', async (t) => {
  const r = run(
    ['sh', '-c', 'grep -E "^(Seccomp|NoNewPrivs|CapEff):" /proc/self/status; id -u; mkdir /dev/shm/y 2>&1; true'],
    {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
    },
    (s) => {
      s.process!.noNewPrivileges = false;
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.capabilities = {};
    },
  );
  t.equal(r.code, 0, r.err);
  const st = statusMap(r.out);
  t.equal(st.NoNewPrivs, '0');
  t.equal(st.Seccomp, '2', 'installed although the process has no capabilities');
  t.equal(st.CapEff, '0000000000000000');
  t.match(r.out, /1000\n.*Permission denied/);
});

async function waitFor(file: string): Promise<void> {
  for (let i = 0; i < 500 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 10));
}

t.test('SCMP_ACT_NOTIFY: the agent at listenerPath gets the state and the fd, and answers', async (t) => {
  const sock = path.join(env.dir, 'agent.sock');
  const out = path.join(env.dir, 'agent.json');
  const agent = spawn('python3', [path.join(__dirname, '..', 'fixtures', 'seccomp-agent.py'), sock, out, '18'], {
    stdio: 'inherit',
  });
  t.teardown(() => {
    if (agent.exitCode === null) agent.kill('SIGKILL');
  });
  await waitFor(`${out}.ready`);
  const spec = testSpec(['sh', '-c', 'mkdir /dev/shm/n 2>&1; echo after'], (s) => {
    s.annotations = { 'org.example': 'v' };
    s.linux!.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath: sock,
      listenerMetadata: 'MKNOD=/dev/null',
      flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
    };
  });
  const id = env.id();
  const bundle = env.bundle(spec);
  const c = env.detached(['create', '--bundle', bundle, id]);
  t.equal(c.code, 0, c.stderr);
  const pid = env.state(id).pid;
  await waitFor(out);
  const st = JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, unknown>;
  t.equal(st._received_fds, 1, 'one fd by SCM_RIGHTS');
  t.equal(st._fd_is_seccomp, true, 'it is the seccomp listener');
  t.same(st.fds, ['seccompFd']);
  t.equal(st.pid, pid);
  t.equal(st.metadata, 'MKNOD=/dev/null');
  t.equal(st.ociVersion, '1.3.0');
  t.same(st.state, {
    ociVersion: spec.ociVersion,
    id,
    status: 'creating',
    pid,
    bundle,
    annotations: { 'org.example': 'v' },
  });
  t.equal(env.carton(['start', id]).code, 0);
  for (let i = 0; i < 500 && env.state(id).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 10));
  t.match(
    fs.readFileSync(c.out, 'utf8'),
    /mkdir: can't create directory '\/dev\/shm\/n': Invalid cross-device link\nafter/,
    'the agent answered EXDEV',
  );
  t.match(fs.readFileSync(`${out}.handled`, 'utf8'), /^[1-9]\d* (83|258)\n/, 'mkdir/mkdirat reached the agent');
  t.equal(env.carton(['delete', id]).code, 0);
});

t.test('config errors: one line, nothing left behind', async (t) => {
  const cases: Array<[string, Seccomp, RegExp]> = [
    [
      'errnoRet with an action that has none',
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_KILL', errnoRet: 1 }] },
      /\/linux\/seccomp\/syscalls\/0\/errnoRet: errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_KILL/,
    ],
    [
      'defaultErrnoRet with ALLOW',
      { defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 },
      /\/linux\/seccomp\/defaultErrnoRet: defaultErrnoRet is only valid/,
    ],
    [
      'NOTIFY as default',
      { defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/x' },
      /SCMP_ACT_NOTIFY cannot be used as default action/,
    ],
    [
      'NOTIFY without listenerPath',
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] },
      /\/linux\/seccomp\/syscalls\/0: SCMP_ACT_NOTIFY needs \/linux\/seccomp\/listenerPath/,
    ],
    [
      'listenerMetadata without listenerPath',
      { defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'x' },
      /listenerMetadata is set but listenerPath is not/,
    ],
    [
      'unknown action',
      { defaultAction: 'SCMP_ACT_BOGUS' },
      /\/linux\/seccomp\/defaultAction must be equal to one of the allowed values/,
    ],
    [
      'unknown arch',
      { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_VAX'] },
      /\/linux\/seccomp\/architectures\/0 must be equal to one of the allowed values/,
    ],
    [
      'arg index > 5',
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }],
      },
      /\/syscalls\/0\/args\/0\/index: syscalls have at most 6 arguments/,
    ],
    [
      'errno beyond 16 bits',
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 70000 }] },
      /errnoRet: 70000 does not fit/,
    ],
    [
      'WAIT_KILLABLE_RECV without NOTIFY',
      { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] },
      /SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs an SCMP_ACT_NOTIFY rule/,
    ],
    [
      'listener that is not there',
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        listenerPath: '/nonexistent/agent.sock',
        syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
      },
      /\/linux\/seccomp\/listenerPath: failed to connect with seccomp agent specified in the seccomp profile: dial unix \/nonexistent\/agent\.sock: connect: no such file or directory/,
    ],
  ];
  for (const [name, sc, want] of cases) {
    const id = env.id();
    const r = env.detached(['create', '--bundle', env.bundle(testSpec(['true'], (s) => (s.linux!.seccomp = sc))), id]);
    t.not(r.code, 0, name);
    t.match(r.stderr, want, name);
    t.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line`);
    t.notOk(fs.existsSync(path.join(env.root, id)), `${name}: no state left`);
    for (const h of fs.readdirSync('/sys/fs/cgroup'))
      t.notOk(fs.existsSync(path.join('/sys/fs/cgroup', h, 'carton', id)), `${name}: no ${h} cgroup`);
  }
});
