// The driver interface: one Controller per kernel controller, per cgroup
// version (v1/<name>.ts, v2/<name>.ts). A controller turns linux.resources
// into ordered file writes and reads its part of `events --stats`; the
// manager decides which hierarchy each one lives in (v1, v2, or hybrid:
// whichever of the two has the controller on this host).
import type { Resources, Write } from './types';

/** Current content of a file in the controller's directory; undefined if it does not exist. */
export type Reader = (file: string) => string | undefined;

/** runc's types.Stats, built as plain JSON (key order matters to nobody, but we keep runc's). */
export type StatsData = Record<string, unknown>;

export interface Controller {
  /** the kernel's name: 'memory', 'blkio', 'io', 'net_cls' ... */
  readonly name: string;
  /** linux.resources fields set in `r` that need this controller (named when the host lacks it) */
  fields(r: Resources): string[];
  /** the files to write, in order; `read` gives current values where the order or a check depends on them */
  writes(r: Resources, read: Reader): Write[];
  /** fills this controller's part of the stats */
  stats?(read: Reader, out: StatsData): void;
}

/** The fields of one linux.resources object that are set, as dotted names. */
export function setFields(group: string, obj: object | undefined): string[] {
  if (!obj) return [];
  if (Array.isArray(obj)) return obj.length ? [`linux.resources.${group}`] : [];
  return Object.entries(obj)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k]) => `linux.resources.${group}.${k}`);
}

/** A counter from a cgroup file; "max" is Go's math.MaxUint64, as runc reports it (a bigint: a double would print it wrong). */
export function num(s: string | undefined): number | bigint {
  if (s === undefined) return 0;
  const t = s.trim();
  if (t === 'max') return MAX_U64;
  const n = Number(t);
  if (!Number.isSafeInteger(n) && /^\d+$/.test(t)) return BigInt(t);
  return Number.isFinite(n) ? n : 0;
}

export const MAX_U64 = 18446744073709551615n;

/** JSON with bigints written as bare digits. */
export function toJSON(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `@@${x}@@` : x)).replace(/"@@(\d+)@@"/g, '$1');
}

/** "key value" lines (memory.stat, cpu.stat, cpuacct.stat) as a map. */
export function keyValues(s: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (s ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

/** "0-3,7" -> [0,1,2,3,7] (cpuset lists). */
export function parseList(s: string | undefined): number[] {
  const out: number[] = [];
  for (const part of (s ?? '').trim().split(',')) {
    if (!part) continue;
    const [a = NaN, b = a] = part.split('-').map(Number);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}
