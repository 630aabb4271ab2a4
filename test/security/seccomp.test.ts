// Seccomp filters compile what the config says: 64-bit argument values
// exactly (config.json numbers above 2^53 included), and syscalls the
// profile does not know answer ENOSYS (as runc's stub does) so the C library
// can fall back, while unknown names in the profile are warned about.
import t from 'tap';
import { Env, testSpec } from '../helpers';
import type { Spec } from '../../src/spec/types';

const env = new Env('seccomp-sec');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

const EXDEV = 18; // "Invalid cross-device link": an errno nothing else here returns

/** config.json text in which every `"@big:N"` string is the bare number literal N (beyond what JSON.stringify can write). */
function withBigLiterals(spec: Spec): string {
  return JSON.stringify(spec, null, 2).replace(/"@big:(\d+)"/g, '$1');
}

t.test('seccomp argument values are exact up to 2^64-1 (config.json parsed losslessly)', async (t) => {
  // Before the fix: config.json went through JSON.parse, so 2^53+1 became
  // 2^53 and 2^64-1 became 2^64, which the addon wrapped to 0: the rule for
  // 2^53+1 fired on its neighbour instead (output "2^53+1: ok", then
  // "Invalid cross-device link" for 2^53) and the rule for 2^64-1 never
  // fired (the kernel's "Invalid argument" for both 2^64-1 and 2^64-2).
  // busybox `truncate -s N` calls ftruncate(fd, N) with N exactly (strace).
  const values: Array<[string, bigint]> = [
    ['0', 0n],
    ['2^32', 1n << 32n],
    ['2^53+1', (1n << 53n) + 1n],
    ['2^64-1', (1n << 64n) - 1n],
  ];
  const probes: string[] = [];
  for (const [label, v] of values) {
    const near = v === 0n ? 1n : v - 1n;
    probes.push(
      `truncate -s ${v} /dev/shm/f 2>&1 && echo '${label}: ok'`,
      `truncate -s ${near} /dev/shm/f 2>&1 && echo '${label} neighbour: ok'`,
    );
  }
  const spec = testSpec(['sh', '-c', probes.map((p) => `${p}; true`).join('\n')], (s) => {
    s.linux!.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: values.map(([, v]) => ({
        names: ['ftruncate'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: EXDEV,
        args: [{ index: 1, value: `@big:${v}` as unknown as number, op: 'SCMP_CMP_EQ' }],
      })),
    };
  });
  const r = env.carton(['run', '--bundle', env.bundle(withBigLiterals(spec)), env.id()]);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.equal(lines.length, 8, r.stdout);
  for (const [i, [label, v]] of values.entries()) {
    const near = v === 0n ? 1n : v - 1n;
    t.equal(
      lines[2 * i],
      `truncate: /dev/shm/f: truncate: Invalid cross-device link`,
      `ftruncate(fd, ${label}) hits its rule`,
    );
    t.notMatch(lines[2 * i + 1], /cross-device/, `ftruncate(fd, ${near}) does not`);
  }
});

t.test(
  "exec compiles the container's filter from its saved config.json exactly too, after an update as well",
  async (t) => {
    // Before the fix the saved copy was written with JSON.stringify
    // (18446744073709552000) and the exec'd process's rule compiled to 0:
    // both lines failed with "Invalid cross-device link", no "zero-ok".
    const spec = testSpec(['sleep', '1000'], (s) => {
      s.linux!.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          {
            names: ['ftruncate'],
            action: 'SCMP_ACT_ERRNO',
            errnoRet: EXDEV,
            args: [{ index: 1, value: '@big:18446744073709551615' as unknown as number, op: 'SCMP_CMP_EQ' }],
          },
        ],
      };
    });
    const id = env.id();
    t.equal(env.detached(['run', '-d', '--bundle', env.bundle(withBigLiterals(spec)), id]).code, 0);
    env.state(id);
    // `update` rewrites that copy too (before its fix: with JSON.stringify, the same loss).
    const u = env.carton(['update', '--pids-limit', '100', id]);
    t.equal(u.code, 0, u.stderr);
    const e = env.carton([
      'exec',
      id,
      'sh',
      '-c',
      'truncate -s 18446744073709551615 /dev/shm/g; truncate -s 0 /dev/shm/g 2>&1 && echo zero-ok',
    ]);
    t.match(e.stderr + e.stdout, /truncate: \/dev\/shm\/g: truncate: Invalid cross-device link/);
    t.match(e.stdout, /zero-ok/);
    t.equal(env.carton(['delete', '--force', id]).code, 0);
  },
);

t.test('a seccomp value above 2^64-1 is refused (the schema check compares doubles)', async (t) => {
  // Before the fix: 18446744073709551616 passed ajv (as a double it equals
  // the schema's maximum), was compiled as 0 and the container ran (exit 0).
  const spec = testSpec(['true'], (s) => {
    s.linux!.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        {
          names: ['ftruncate'],
          action: 'SCMP_ACT_ERRNO',
          args: [{ index: 1, value: '@big:18446744073709551616' as unknown as number, op: 'SCMP_CMP_EQ' }],
        },
      ],
    };
  });
  const id = env.id();
  const r = env.carton(['run', '--bundle', env.bundle(withBigLiterals(spec)), id]);
  t.equal(r.code, 1);
  t.match(r.stderr, /\/linux\/seccomp\/syscalls\/0\/args\/0\/value: 18446744073709551616 is above 2\^64-1/);
  t.equal(env.carton(['state', id]).code, 1, 'no container left');
});

// Every syscall here is numbered at most 273 (set_robust_list) on x86_64;
// fallocate is 285, mkdir 83. What busybox sh, mkdir and fallocate need.
const OLD_PROFILE = [
  'access',
  'arch_prctl',
  'brk',
  'chdir',
  'clone',
  'close',
  'dup',
  'dup2',
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
  'prctl',
  'pread64',
  'read',
  'readlink',
  'rt_sigaction',
  'rt_sigprocmask',
  'rt_sigreturn',
  'set_tid_address',
  'setpgid',
  'stat',
  'uname',
  'vfork',
  'wait4',
  'write',
  'writev',
  'sendmsg',
  'setsid',
  'set_robust_list',
];

t.test(
  'syscalls newer than the profile get ENOSYS, the ones it leaves out its default errno',
  { skip: process.arch === 'x64' ? false : "syscall numbers are x86_64's" },
  async (t) => {
    // Before the fix both failed with the default action's EPERM:
    // "fallocate: fallocate '/dev/shm/f': Operation not permitted", so a C
    // library could not tell "filtered" from "too new" and fall back (glibc
    // does for clone3, faccessat2, openat2...). runc 1.1.5 prints exactly the
    // two lines asserted here for the same config.
    const r = env.carton([
      'run',
      '--bundle',
      env.bundle(
        testSpec(['sh', '-c', 'mkdir /dev/shm/d; fallocate -l 1 /dev/shm/f; true'], (s) => {
          s.linux!.seccomp = {
            defaultAction: 'SCMP_ACT_ERRNO',
            architectures: ['SCMP_ARCH_X86_64'],
            syscalls: [{ names: OLD_PROFILE, action: 'SCMP_ACT_ALLOW' }],
          };
        }),
      ),
      env.id(),
    ]);
    t.equal(r.code, 0, r.stderr);
    t.match(
      r.stderr,
      /mkdir: can't create directory '\/dev\/shm\/d': Operation not permitted/,
      'left out: the default errno',
    );
    t.match(
      r.stderr,
      /fallocate: fallocate '\/dev\/shm\/f': Function not implemented/,
      'newer than every syscall the profile names: ENOSYS',
    );
  },
);

t.test(
  'no ENOSYS stub with an allowing default action or defaultErrnoRet ENOSYS (as runc)',
  { skip: process.arch === 'x64' ? false : 'x86_64 only' },
  async (t) => {
    const r = env.carton([
      'run',
      '--bundle',
      env.bundle(
        testSpec(['sh', '-c', 'fallocate -l 1 /dev/shm/f && echo allocated'], (s) => {
          s.linux!.seccomp = {
            defaultAction: 'SCMP_ACT_ALLOW',
            architectures: ['SCMP_ARCH_X86_64'],
            syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }],
          };
        }),
      ),
      env.id(),
    ]);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /allocated/, 'an allowed new syscall is not turned into ENOSYS');
  },
);

t.test('a syscall name libseccomp does not know is a warning naming it', async (t) => {
  // Before the fix it was skipped silently (only with --debug was it logged).
  const r = env.carton([
    'run',
    '--bundle',
    env.bundle(
      testSpec(['true'], (s) => {
        s.linux!.seccomp = {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [{ names: ['mkdir', 'no_such_syscall_xyz', 'another_unknown_one'], action: 'SCMP_ACT_ERRNO' }],
        };
      }),
    ),
    env.id(),
  ]);
  t.equal(r.code, 0, r.stderr);
  t.match(
    r.stderr,
    /seccomp.*no_such_syscall_xyz.*another_unknown_one|seccomp.*another_unknown_one.*no_such_syscall_xyz/,
  );
  t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
});
