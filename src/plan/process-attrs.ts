// linux.personality, process.scheduler and process.ioPriority -> the values
// carton-init hands to personality(2), sched_setattr(2) and ioprio_set(2)
// just before the user switch (T_PERSONALITY, T_SCHEDULER, T_IO_PRIORITY, T_MEMORY_POLICY). Every check that needs no
// kernel is made here, naming the JSON path.
import * as fs from 'fs';
import { CartonError } from '../errors';
import type { Spec } from '../spec/types';

export interface PlanScheduler {
  policy: number;
  flags: bigint;
  nice: number;
  priority: number;
  runtime: bigint;
  deadline: bigint;
  period: bigint;
}

export interface PlanMemoryPolicy {
  mode: number;
  flags: number;
  /** node bitmask, 64 nodes per word */
  nodes: bigint[];
}

export interface ProcessAttrs {
  personality?: number;
  scheduler?: PlanScheduler;
  ioPriority?: number;
  memoryPolicy?: PlanMemoryPolicy;
}

const PERSONA: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 };

const POLICY: Record<string, number> = {
  SCHED_OTHER: 0,
  SCHED_FIFO: 1,
  SCHED_RR: 2,
  SCHED_BATCH: 3,
  SCHED_ISO: 4,
  SCHED_IDLE: 5,
  SCHED_DEADLINE: 6,
};

const SCHED_FLAG: Record<string, bigint> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01n,
  SCHED_FLAG_RECLAIM: 0x02n,
  SCHED_FLAG_DL_OVERRUN: 0x04n,
  SCHED_FLAG_KEEP_POLICY: 0x08n,
  SCHED_FLAG_KEEP_PARAMS: 0x10n,
  SCHED_FLAG_UTIL_CLAMP_MIN: 0x20n,
  SCHED_FLAG_UTIL_CLAMP_MAX: 0x40n,
};

const IOPRIO_CLASS: Record<string, number> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };

function personality(spec: Spec): number | undefined {
  const p = spec.linux?.personality;
  if (!p) return undefined;
  if (PERSONA[p.domain] === undefined)
    throw new CartonError(`config.json: /linux/personality/domain: unknown domain "${p.domain}"`, {
      kind: 'invalid-config',
    });
  // The spec defines no flags yet; one we do not know could weaken the
  // process (e.g. ADDR_NO_RANDOMIZE), so none is passed through.
  if (p.flags?.length)
    throw new CartonError(`config.json: /linux/personality/flags: unsupported flag "${p.flags[0]}"`, {
      kind: 'unsupported',
    });
  return PERSONA[p.domain];
}

function scheduler(spec: Spec): PlanScheduler | undefined {
  const s = spec.process?.scheduler;
  if (!s) return undefined;
  const at = 'config.json: /process/scheduler';
  const policy = POLICY[s.policy];
  if (policy === undefined)
    throw new CartonError(`${at}/policy: unknown policy "${s.policy}"`, { kind: 'invalid-config' });
  const nice = s.nice ?? 0;
  if (nice < -20 || nice > 19)
    throw new CartonError(`${at}/nice: ${nice} is outside -20..19`, { kind: 'invalid-config' });
  const priority = s.priority ?? 0;
  const rt = s.policy === 'SCHED_FIFO' || s.policy === 'SCHED_RR';
  if (rt && (priority < 1 || priority > 99))
    throw new CartonError(`${at}/priority: ${s.policy} needs a priority in 1..99, got ${priority}`, {
      kind: 'invalid-config',
    });
  if (!rt && priority !== 0)
    throw new CartonError(`${at}/priority: must be 0 for ${s.policy}, got ${priority}`, { kind: 'invalid-config' });
  if (s.policy !== 'SCHED_DEADLINE' && (s.runtime || s.deadline || s.period)) {
    throw new CartonError(`${at}: runtime, deadline and period can only be used with SCHED_DEADLINE`, {
      kind: 'invalid-config',
    });
  }
  let flags = 0n;
  for (const f of s.flags ?? []) {
    if (SCHED_FLAG[f] === undefined)
      throw new CartonError(`${at}/flags: unknown flag "${f}"`, { kind: 'invalid-config' });
    flags |= SCHED_FLAG[f];
  }
  const big = (v: number | undefined) => BigInt(Math.trunc(v ?? 0));
  return { policy, flags, nice, priority, runtime: big(s.runtime), deadline: big(s.deadline), period: big(s.period) };
}

function ioPriority(spec: Spec): number | undefined {
  const io = spec.process?.ioPriority;
  if (!io) return undefined;
  const cls = IOPRIO_CLASS[io.class];
  if (cls === undefined)
    throw new CartonError(`config.json: /process/ioPriority/class: unknown class "${io.class}"`, {
      kind: 'invalid-config',
    });
  const level = io.priority ?? 0;
  if (level < 0 || level > 7)
    throw new CartonError(`config.json: /process/ioPriority/priority: ${level} is outside 0..7`, {
      kind: 'invalid-config',
    });
  return (cls << 13) | level;
}

const MPOL: Record<string, number> = {
  MPOL_DEFAULT: 0,
  MPOL_PREFERRED: 1,
  MPOL_BIND: 2,
  MPOL_INTERLEAVE: 3,
  MPOL_LOCAL: 4,
  MPOL_PREFERRED_MANY: 5,
  MPOL_WEIGHTED_INTERLEAVE: 6,
};
const MPOL_FLAG = { MPOL_F_NUMA_BALANCING: 1 << 13, MPOL_F_RELATIVE_NODES: 1 << 14, MPOL_F_STATIC_NODES: 1 << 15 };
const mpolFlag = (f: string): number | undefined =>
  Object.hasOwn(MPOL_FLAG, f) ? MPOL_FLAG[f as keyof typeof MPOL_FLAG] : undefined;
/** What the plan decoder takes: 16 words, 1024 nodes. */
const MAX_NODES = 1024;

/** "0-3,7" -> node numbers. */
function nodeList(text: string, at: string): number[] {
  const out: number[] = [];
  for (const part of text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new CartonError(`${at}: invalid node list "${text}"`, { kind: 'invalid-config' });
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi >= MAX_NODES)
      throw new CartonError(`${at}: invalid node range "${part}"`, { kind: 'invalid-config' });
    for (let n = lo; n <= hi; n++) out.push(n);
  }
  return out;
}

function memoryPolicy(spec: Spec): PlanMemoryPolicy | undefined {
  const mp = spec.linux?.memoryPolicy;
  if (!mp) return undefined;
  const at = 'config.json: /linux/memoryPolicy';
  const mode = MPOL[mp.mode];
  if (mode === undefined) throw new CartonError(`${at}/mode: unknown mode "${mp.mode}"`, { kind: 'invalid-config' });
  let flags = 0;
  for (const f of mp.flags ?? []) {
    const bit = mpolFlag(f);
    if (bit === undefined) throw new CartonError(`${at}/flags: unknown flag "${f}"`, { kind: 'invalid-config' });
    flags |= bit;
  }
  if (flags & MPOL_FLAG.MPOL_F_STATIC_NODES && flags & MPOL_FLAG.MPOL_F_RELATIVE_NODES) {
    throw new CartonError(`${at}/flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other`, {
      kind: 'invalid-config',
    });
  }
  const nodes = nodeList(mp.nodes ?? '', `${at}/nodes`);
  if ((mp.mode === 'MPOL_DEFAULT' || mp.mode === 'MPOL_LOCAL') && nodes.length)
    throw new CartonError(`${at}/nodes: ${mp.mode} takes no nodes`, { kind: 'invalid-config' });
  if (!['MPOL_DEFAULT', 'MPOL_LOCAL', 'MPOL_PREFERRED'].includes(mp.mode) && !nodes.length)
    throw new CartonError(`${at}/nodes: ${mp.mode} needs at least one node`, { kind: 'invalid-config' });
  const missing = nodes.find((n) => !fs.existsSync(`/sys/devices/system/node/node${n}`));
  if (missing !== undefined)
    throw new CartonError(`${at}/nodes: memory node ${missing} does not exist on this host`, { kind: 'host-lacks' });
  const words: bigint[] = [];
  for (const n of nodes) {
    while (words.length <= n >> 6) words.push(0n);
    words[n >> 6] = (words[n >> 6] ?? 0n) | (1n << BigInt(n & 63));
  }
  return { mode, flags, nodes: words };
}

export function processAttrs(spec: Spec): ProcessAttrs {
  return {
    personality: personality(spec),
    scheduler: scheduler(spec),
    ioPriority: ioPriority(spec),
    memoryPolicy: memoryPolicy(spec),
  };
}
