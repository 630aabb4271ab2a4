// linux.seccomp -> the BPF program carton-init installs, and when it does so.
// Names are checked and mapped here; libseccomp (through the addon) resolves
// syscall numbers and generates the code.
import { CartonError } from '../errors';
import { addon, type SeccompFilter } from '../native';
import { exactInteger } from '../spec/exact-json';
import type { Seccomp, SeccompArg } from '../spec/types';
import { warn } from '../log';

/** libseccomp's action values (seccomp.h); ERRNO and TRACE carry data in the low 16 bits. */
const ACTIONS: Record<string, number> = {
  SCMP_ACT_KILL: 0x00000000,
  SCMP_ACT_KILL_THREAD: 0x00000000,
  SCMP_ACT_KILL_PROCESS: 0x80000000,
  SCMP_ACT_TRAP: 0x00030000,
  SCMP_ACT_ERRNO: 0x00050000,
  SCMP_ACT_TRACE: 0x7ff00000,
  SCMP_ACT_LOG: 0x7ffc0000,
  SCMP_ACT_NOTIFY: 0x7fc00000,
  SCMP_ACT_ALLOW: 0x7fff0000,
};
const WITH_ERRNO = new Set(['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE']);
const EPERM = 1;
const ENOSYS = 38;
/** Defaults that let a syscall through (TRACE too: a tracer handles new syscalls itself): no ENOSYS stub, as runc. */
const PERMISSIVE = new Set(['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE']);

const OPS: Record<string, number> = {
  SCMP_CMP_NE: 1,
  SCMP_CMP_LT: 2,
  SCMP_CMP_LE: 3,
  SCMP_CMP_EQ: 4,
  SCMP_CMP_GE: 5,
  SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
};

/** SECCOMP_FILTER_FLAG_*; TSYNC is dropped: init is single-threaded, and TSYNC with NEW_LISTENER is EINVAL. */
const FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 0,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};
export const SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;

/** What `carton features` advertises: the names this file maps. */
export const SECCOMP_NAMES = { actions: Object.keys(ACTIONS), operators: Object.keys(OPS), flags: Object.keys(FLAGS) };

/** Where in init the filter goes in (native/init/seccomp.cc). */
import { SeccompStage } from './format';

export { SeccompStage };

export interface SeccompPlan {
  flags: number;
  stage: SeccompStage;
  program: Buffer;
  /** SCMP_ACT_NOTIFY: where the parent sends the listener fd and state */
  listenerPath?: string;
  listenerMetadata?: string;
}

/** The most instructions one classic BPF program may have (BPF_MAXINSNS). */
const BPF_MAXINSNS = 4096;

/** libseccomp's architecture names: SCMP_ARCH_X86_64 -> x86_64. */
function archName(a: string): string {
  return a.replace(/^SCMP_ARCH_/, '').toLowerCase();
}

function action(name: string, errnoRet: number | undefined, where: string, field: string): number {
  const base = ACTIONS[name];
  if (base === undefined)
    throw new CartonError(`${where}: unknown seccomp action "${name}"`, { kind: 'invalid-config' });
  if (errnoRet !== undefined && !WITH_ERRNO.has(name)) {
    throw new CartonError(
      `${where}/${field}: ${field} is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${name}`,
      { kind: 'invalid-config' },
    );
  }
  if (!WITH_ERRNO.has(name)) return base;
  const e = errnoRet ?? EPERM;
  if (e > 0xffff)
    throw new CartonError(`${where}/${field}: ${e} does not fit seccomp's 16-bit return data`, {
      kind: 'invalid-config',
    });
  return (base | e) >>> 0;
}

const UINT64_MAX = (1n << 64n) - 1n;

/**
 * An argument's value/valueTwo as the exact uint64 config.json wrote (a JS
 * number would round it above 2^53). The schema's bounds are checked on a
 * double, so 2^64 and a little more pass it: the exact bound is checked here.
 */
function argValue(a: SeccompArg, field: 'value' | 'valueTwo', where: string): bigint {
  if (a[field] === undefined) return 0n;
  const n = exactInteger(a, field);
  if (n === undefined || n < 0n)
    throw new CartonError(`${where}/${field}: must be an integer from 0 to 2^64-1, got ${a[field]}`, {
      kind: 'invalid-config',
    });
  if (n > UINT64_MAX) throw new CartonError(`${where}/${field}: ${n} is above 2^64-1`, { kind: 'invalid-config' });
  return n;
}

/** Validates and maps; the pure half of compileSeccomp (unit-tested without the addon). */
export function seccompFilter(s: Seccomp, where = 'config.json: /linux/seccomp'): SeccompFilter {
  if (s.defaultAction === 'SCMP_ACT_NOTIFY')
    throw new CartonError(`${where}/defaultAction: SCMP_ACT_NOTIFY cannot be used as default action`, {
      kind: 'invalid-config',
    });
  const defaultAction = action(s.defaultAction, s.defaultErrnoRet, where, 'defaultErrnoRet');
  const arches = (s.architectures ?? []).map((a, i) => {
    if (!/^SCMP_ARCH_[A-Z0-9_]+$/.test(a))
      throw new CartonError(`${where}/architectures/${i}: unknown architecture "${a}"`, { kind: 'invalid-config' });
    return archName(a);
  });
  for (const [i, f] of (s.flags ?? []).entries()) {
    if (FLAGS[f] === undefined)
      throw new CartonError(`${where}/flags/${i}: unknown seccomp flag "${f}"`, { kind: 'invalid-config' });
  }
  if (s.listenerMetadata !== undefined && !s.listenerPath)
    throw new CartonError(`${where}/listenerMetadata: listenerMetadata is set but listenerPath is not`, {
      kind: 'invalid-config',
    });
  const rules: SeccompFilter['rules'] = [];
  for (const [i, sc] of (s.syscalls ?? []).entries()) {
    const w = `${where}/syscalls/${i}`;
    const act = action(sc.action, sc.errnoRet, w, 'errnoRet');
    if (sc.action === 'SCMP_ACT_NOTIFY') {
      if (!s.listenerPath)
        throw new CartonError(`${w}: SCMP_ACT_NOTIFY needs /linux/seccomp/listenerPath`, { kind: 'invalid-config' });
      // init passes the listener fd to carton with sendmsg after the filter is
      // in: a notify on it would wait for an agent that has no fd yet.
      if (sc.names.includes('sendmsg'))
        throw new CartonError(`${w}: SCMP_ACT_NOTIFY cannot be used for the sendmsg syscall`, {
          kind: 'invalid-config',
        });
    }
    // libseccomp refuses a rule whose action is the default one; it changes nothing.
    if (act === defaultAction) continue;
    const counts = new Map<number, number>();
    const args = (sc.args ?? []).map((a, j) => {
      if (a.index > 5)
        throw new CartonError(`${w}/args/${j}/index: syscalls have at most 6 arguments (0-5), got ${a.index}`, {
          kind: 'invalid-config',
        });
      const op = OPS[a.op];
      if (op === undefined)
        throw new CartonError(`${w}/args/${j}/op: unknown seccomp operator "${a.op}"`, { kind: 'invalid-config' });
      counts.set(a.index, (counts.get(a.index) ?? 0) + 1);
      return {
        index: a.index,
        op,
        a: argValue(a, 'value', `${w}/args/${j}`),
        b: argValue(a, 'valueTwo', `${w}/args/${j}`),
      };
    });
    // Two comparisons of the same argument cannot be ANDed by libseccomp;
    // like runc, each then becomes a rule of its own (matching any of them).
    const groups = [...counts.values()].some((n) => n > 1) ? args.map((a) => [a]) : [args];
    for (const name of sc.names) for (const g of groups) rules.push({ name, action: act, where: w, args: g });
  }
  // A syscall newer than the profile (numbered above every syscall it names)
  // gets ENOSYS rather than the default errno, as runc's stub does: the C
  // library then falls back (clone3 -> clone, faccessat2 -> faccessat...).
  const stub =
    !PERMISSIVE.has(s.defaultAction) && !(s.defaultAction === 'SCMP_ACT_ERRNO' && s.defaultErrnoRet === ENOSYS);
  const enosysNames = stub ? [...new Set((s.syscalls ?? []).flatMap((sc) => sc.names))] : undefined;
  return { defaultAction, arches, rules, enosysNames };
}

function usesNotify(s: Seccomp): boolean {
  return (s.syscalls ?? []).some((sc) => sc.action === 'SCMP_ACT_NOTIFY');
}

export function planSeccomp(s: Seccomp | undefined, noNewPrivileges: boolean): SeccompPlan | undefined {
  if (!s) return undefined;
  const where = 'config.json: /linux/seccomp';
  const filter = seccompFilter(s, where);
  let out: { program: Buffer; skipped: string[] };
  try {
    out = addon().compileSeccomp(filter);
  } catch (e) {
    throw new CartonError(`${where}: ${e instanceof Error ? e.message : String(e)}`, { kind: 'invalid-config' });
  }
  // runc skips them too (at debug level); a profile newer than libseccomp
  // then silently filters less than it says, so say it.
  if (out.skipped.length)
    warn(`${where}: syscalls unknown to libseccomp are ignored: ${[...new Set(out.skipped)].join(' ')}`);
  const insns = out.program.length / 8;
  if (insns > BPF_MAXINSNS)
    throw new CartonError(
      `${where}: the filter compiles to ${insns} BPF instructions, more than the kernel's ${BPF_MAXINSNS}`,
      { kind: 'invalid-config' },
    );
  const notify = usesNotify(s);
  const wk = (s.flags ?? []).indexOf('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV');
  // The kernel refuses this flag without a listener (EINVAL at install time).
  if (wk >= 0 && !notify)
    throw new CartonError(
      `${where}/flags/${wk}: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs an SCMP_ACT_NOTIFY rule`,
      { kind: 'invalid-config' },
    );
  let flags = (s.flags ?? []).reduce((f, name) => f | (FLAGS[name] ?? 0), 0);
  if (notify) flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  const stage = !noNewPrivileges
    ? SeccompStage.BeforeUser
    : notify
      ? SeccompStage.BeforeReady
      : SeccompStage.BeforeExec;
  return {
    flags,
    stage,
    program: out.program,
    listenerPath: notify ? s.listenerPath : undefined,
    listenerMetadata: s.listenerMetadata,
  };
}
