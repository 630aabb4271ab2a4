// v2 devices: the rule list compiled into an eBPF BPF_PROG_TYPE_CGROUP_DEVICE
// program and attached to the container's cgroup2 directory (the addon only
// loads and attaches it). v1 semantics are kept: the last matching rule
// wins, and a rule for every device ("a *:* rwm") resets the list, so the
// program checks rules from last to first and returns the first match.
import { addon } from '../../native';
import { CartonError, SetupError, errText } from '../../errors';
import type { DeviceRule } from '../types';

// struct bpf_cgroup_dev_ctx { u32 access_type (type | access << 16); u32 major; u32 minor; }
const DEV_BLOCK = 1;
const DEV_CHAR = 2;
const ACC: Record<string, number> = { m: 1, r: 2, w: 4 };

/** One eBPF instruction: opcode, dst/src registers, 16-bit offset, 32-bit immediate. */
type Insn = [op: number, dst: number, src: number, off: number, imm: number];

const LDXW = 0x61; // dst = *(u32 *)(src + off)
const AND32K = 0x54;
const RSH32K = 0x74;
const MOV32X = 0xbc;
const MOV64K = 0xb7;
const JNEK = 0x55;
const EXIT = 0x95;

function isWildcardAll(r: DeviceRule): boolean {
  return (r.type ?? 'a') === 'a' && (r.major ?? -1) < 0 && (r.minor ?? -1) < 0 && accessMask(r.access) === 7;
}

function accessMask(access: string | undefined): number {
  let m = 0;
  for (const c of access || 'rwm') m |= ACC[c] ?? 0;
  return m;
}

/** The program, as instructions (exported for unit tests). */
export function compile(rules: DeviceRule[]): Insn[] {
  // A rule for everything discards the rules before it and sets the default.
  let start = 0;
  let dflt = true; // a cgroup without a program allows every device
  rules.forEach((r, i) => {
    if (isWildcardAll(r)) {
      start = i + 1;
      dflt = r.allow;
    }
  });
  const p: Insn[] = [
    [LDXW, 2, 1, 0, 0],
    [AND32K, 2, 0, 0, 0xffff], // r2 = device type
    [LDXW, 3, 1, 0, 0],
    [RSH32K, 3, 0, 0, 16], // r3 = requested access
    [LDXW, 4, 1, 4, 0], // r4 = major
    [LDXW, 5, 1, 8, 0], // r5 = minor
  ];
  for (const r of rules.slice(start).reverse()) {
    const block: Array<Insn | 'skip-if-ne'> = [];
    const jumps: Array<[number, number, number]> = []; // [reg, imm] checks that skip the block when unequal
    const type = r.type ?? 'a';
    if (type === 'c' || type === 'b') jumps.push([2, type === 'c' ? DEV_CHAR : DEV_BLOCK, 0]);
    const acc = accessMask(r.access);
    const checks: Insn[][] = jumps.map(([reg, imm]) => [[JNEK, reg, 0, 0, imm]]);
    if (acc !== 7)
      checks.push([
        [MOV32X, 6, 3, 0, 0],
        [AND32K, 6, 0, 0, ~acc & 7],
        [JNEK, 6, 0, 0, 0],
      ]);
    if ((r.major ?? -1) >= 0) checks.push([[JNEK, 4, 0, 0, r.major!]]);
    if ((r.minor ?? -1) >= 0) checks.push([[JNEK, 5, 0, 0, r.minor!]]);
    for (const c of checks) block.push(...c);
    block.push([MOV64K, 0, 0, 0, r.allow ? 1 : 0], [EXIT, 0, 0, 0, 0]);
    // every JNE jumps past the end of this block
    const insns = block as Insn[];
    insns.forEach((ins, i) => {
      if (ins[0] === JNEK) ins[3] = insns.length - (i + 1);
    });
    p.push(...insns);
  }
  p.push([MOV64K, 0, 0, 0, dflt ? 1 : 0], [EXIT, 0, 0, 0, 0]);
  return p;
}

export function encode(p: Insn[]): Buffer {
  const b = Buffer.alloc(p.length * 8);
  p.forEach(([op, dst, src, off, imm], i) => {
    b.writeUInt8(op, i * 8);
    b.writeUInt8((src << 4) | dst, i * 8 + 1);
    b.writeInt16LE(off, i * 8 + 2);
    b.writeInt32LE(imm | 0, i * 8 + 4);
  });
  return b;
}

/** What the program decides, by running it (an interpreter for the subset compile() emits; for tests). */
export function evaluate(p: Insn[], type: 'c' | 'b', major: number, minor: number, access: string): boolean {
  const reg = new Array<number>(11).fill(0);
  const ctx = [((accessMask(access) << 16) | (type === 'c' ? DEV_CHAR : DEV_BLOCK)) >>> 0, major, minor];
  // Registers and context words the program names but that do not exist read
  // as NaN, so a miscompiled program fails its test instead of reading 0.
  const r = (i: number) => reg[i] ?? NaN;
  for (let pc = 0, insn = p[0]; insn; insn = p[++pc]) {
    const [op, dst, src, off, imm] = insn;
    if (op === LDXW) reg[dst] = ctx[off / 4] ?? NaN;
    else if (op === AND32K) reg[dst] = (r(dst) & imm) >>> 0;
    else if (op === RSH32K) reg[dst] = r(dst) >>> imm;
    else if (op === MOV32X) reg[dst] = r(src);
    else if (op === MOV64K) reg[dst] = imm;
    else if (op === JNEK) pc += reg[dst] !== imm >>> 0 ? off : 0;
    else if (op === EXIT) return reg[0] === 1;
  }
  throw new CartonError('program fell off the end', { kind: 'internal' });
}

export function install(dir: string, rules: DeviceRule[]): void {
  try {
    addon().bpfDeviceInstall(dir, encode(compile(rules)));
  } catch (e) {
    throw new SetupError(`linux.resources.devices: ${errText(e)}`, { kind: 'invalid-config' });
  }
}
