// The ENOSYS stub in front of libseccomp's filter, run by a small classic-BPF
// interpreter (the instructions libseccomp and the stub emit for filters
// without argument comparisons) on made-up seccomp_data.
import t from 'tap';
import { addon } from '../../src/native';
import { seccompFilter } from '../../src/plan/seccomp';
import type { Seccomp } from '../../src/spec/types';

const AUDIT_X86_64 = 0xc000003e;
const AUDIT_I386 = 0x40000003;
const X32 = 0x40000000;
const ENOSYS = 0x00050000 | 38;
const EPERM = 0x00050000 | 1;
const ALLOW = 0x7fff0000;

/** Runs the program on { nr, arch }; returns the SECCOMP_RET_* value. */
function run(prog: Buffer, nr: number, arch: number): number {
  const data = [nr >>> 0, arch >>> 0];
  let a = 0;
  for (let pc = 0; pc < prog.length / 8;) {
    const code = prog.readUInt16LE(pc * 8);
    const jt = prog.readUInt8(pc * 8 + 2);
    const jf = prog.readUInt8(pc * 8 + 3);
    const k = prog.readUInt32LE(pc * 8 + 4);
    pc++;
    switch (code) {
      case 0x20: // ld [k]
        if (k > 4) throw new Error(`load of offset ${k}: argument comparisons are not interpreted here`);
        a = data[k / 4] ?? NaN;
        break;
      case 0x15:
        pc += a === k ? jt : jf;
        break; // jeq
      case 0x25:
        pc += a > k ? jt : jf;
        break; // jgt
      case 0x35:
        pc += a >= k ? jt : jf;
        break; // jge
      case 0x45:
        pc += (a & k) !== 0 ? jt : jf;
        break; // jset
      case 0x05:
        pc += k;
        break; // ja
      case 0x06:
        return k; // ret
      default:
        throw new Error(`opcode 0x${code.toString(16)} not interpreted`);
    }
  }
  throw new Error('fell off the program');
}

function compile(s: Seccomp): Buffer {
  return addon().compileSeccomp(seccompFilter(s)).program;
}

const profile = (architectures: string[], defaultAction = 'SCMP_ACT_ERRNO'): Seccomp => ({
  defaultAction,
  architectures,
  syscalls: [{ names: ['read', 'write', 'getpid'], action: 'SCMP_ACT_ALLOW' }], // getpid: 39 on x86_64
});

t.test('x86_64 and x32: above the largest named syscall of each ABI is ENOSYS, below it the default', async (t) => {
  const p = compile(profile(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32']));
  t.equal(run(p, 0, AUDIT_X86_64), ALLOW, 'read');
  t.equal(run(p, 2, AUDIT_X86_64), EPERM, 'open: left out, below getpid');
  t.equal(run(p, 40, AUDIT_X86_64), ENOSYS, 'sendfile (40): newer than the profile');
  t.equal(run(p, 435, AUDIT_X86_64), ENOSYS, 'clone3');
  t.equal(run(p, X32 | 0, AUDIT_X86_64), ALLOW, 'x32 read');
  t.equal(run(p, X32 | 2, AUDIT_X86_64), EPERM, 'x32 open');
  t.equal(run(p, X32 | 600, AUDIT_X86_64), ENOSYS, 'x32, newer');
  t.not(run(p, 600, AUDIT_I386), ENOSYS, 'an architecture the profile does not list: no stub');
});

t.test('x86_64 alone: x32 syscalls go to the filter (bad architecture), not ENOSYS', async (t) => {
  const p = compile(profile(['SCMP_ARCH_X86_64']));
  t.equal(run(p, 500, AUDIT_X86_64), ENOSYS);
  t.not(run(p, X32 | 600, AUDIT_X86_64), ENOSYS);
  t.not(run(p, X32 | 600, AUDIT_X86_64), ALLOW);
});

t.test(
  'no stub with an allowing default, with defaultErrnoRet ENOSYS, or without architectures (as runc)',
  async (t) => {
    t.equal(run(compile(profile(['SCMP_ARCH_X86_64'], 'SCMP_ACT_ALLOW')), 500, AUDIT_X86_64), ALLOW);
    t.equal(
      run(compile({ ...profile(['SCMP_ARCH_X86_64']), defaultErrnoRet: 38 }), 2, AUDIT_X86_64),
      ENOSYS,
      'the default itself',
    );
    t.same(seccompFilter({ ...profile(['SCMP_ARCH_X86_64']), defaultErrnoRet: 38 }).enosysNames, undefined);
    if (process.arch === 'x64') t.equal(run(compile(profile([])), 500, AUDIT_X86_64), EPERM, 'no listed architecture');
  },
);
