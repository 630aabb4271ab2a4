// The systemd cgroup driver's units: where a container goes ("slice:prefix:name"
// in linux.cgroupsPath, as runc reads it), the transient scope that holds it,
// and the unit properties that mirror linux.resources so that systemd, which
// owns the cgroup, keeps the same limits across a daemon-reload. The files
// themselves are still written by the v1/v2 controllers, as runc does.
import { SetupError } from '../../errors';
import type { CgroupLayout } from '../mounts';
import type { Resources } from '../types';
import { sharesToWeight } from '../v2/cpu';
import { blkioToIOWeight } from '../v2/io';
import { swapV2 } from '../v2/memory';
import type { Value } from './wire';

export interface Unit {
  /** the slice the scope goes in, e.g. "system.slice" */
  slice: string;
  /** the scope's name, e.g. "carton-<id>.scope" */
  name: string;
  /** its cgroup path in every hierarchy: the expanded slice, then the scope */
  path: string;
}

const INFINITY = 18446744073709551615n;

/** "a-b.slice" -> "/a.slice/a-b.slice", as systemd nests slices (runc's ExpandSlice). */
export function expandSlice(slice: string): string {
  const bad = () =>
    new SetupError(`linux.cgroupsPath: invalid systemd slice name "${slice}"`, { kind: 'invalid-config' });
  if (!slice.endsWith('.slice') || slice.includes('/')) throw bad();
  const base = slice.slice(0, -'.slice'.length);
  if (base === '-') return '/';
  if (!base || base.startsWith('-') || base.endsWith('-') || base.includes('--')) throw bad();
  let out = '';
  let prefix = '';
  for (const part of base.split('-')) {
    prefix = prefix ? `${prefix}-${part}` : part;
    out += `/${prefix}.slice`;
  }
  return out;
}

/**
 * linux.cgroupsPath for the systemd driver: "slice:prefix:name", the unit
 * "<prefix>-<name>.scope" in that slice (system.slice when empty). Without
 * one, ":carton:<id>" as runc's ":runc:<id>".
 */
export function unitFor(cgroupsPath: string | undefined, id: string): Unit {
  const spec = cgroupsPath || `:carton:${id}`;
  const parts = spec.split(':');
  if (parts.length !== 3) {
    throw new SetupError(
      `linux.cgroupsPath: expected "slice:prefix:name" for the systemd cgroup driver, got "${spec}"`,
      { kind: 'invalid-config' },
    );
  }
  const [slice0, prefix = '', name] = parts;
  if (!name) throw new SetupError(`linux.cgroupsPath "${spec}": the unit name is empty`, { kind: 'invalid-config' });
  if (name.endsWith('.slice')) {
    throw new SetupError(
      `linux.cgroupsPath "${spec}": a slice as the container's own unit is not supported; name a scope`,
      { kind: 'unsupported' },
    );
  }
  if (/[/\\\s]/.test(name) || /[/\\\s]/.test(prefix))
    throw new SetupError(`linux.cgroupsPath "${spec}": invalid character in the unit name`, { kind: 'invalid-config' });
  const slice = slice0 || 'system.slice';
  const unit = `${prefix ? `${prefix}-` : ''}${name}.scope`;
  const dir = expandSlice(slice);
  return { slice, name: unit, path: `${dir === '/' ? '' : dir}/${unit}` };
}

type Prop = [string, { sig: string; value: Value }];
const t = (name: string, v: number | bigint): Prop => [name, { sig: 't', value: BigInt(v) }];
const b = (name: string, v: boolean): Prop => [name, { sig: 'b', value: v }];

/** CPUQuotaPerSecUSec from quota/period, rounded up to whole 10 ms as systemd keeps it (runc does the same). */
function quotaPerSec(quota: number, period: number): bigint {
  if (quota < 0) return INFINITY;
  let us = BigInt(Math.floor((quota * 1_000_000) / period));
  if (us % 10_000n) us = (us / 10_000n + 1n) * 10_000n;
  return us;
}

/** The resource properties of the unit, v1 or v2 names after the host's layout. */
export function resourceProperties(r: Resources | undefined, layout: CgroupLayout): Prop[] {
  const v2 = layout.mode === 'v2';
  const out: Prop[] = [];
  const m = r?.memory;
  if (m?.limit !== undefined) out.push(t(v2 ? 'MemoryMax' : 'MemoryLimit', m.limit < 0 ? INFINITY : m.limit));
  if (v2 && m?.reservation !== undefined && m.reservation > 0) out.push(t('MemoryLow', m.reservation));
  if (v2 && m?.swap !== undefined && m.limit !== undefined) {
    const s = swapV2(m.swap, m.limit);
    out.push(t('MemorySwapMax', s < 0 ? INFINITY : s));
  }
  const c = r?.cpu;
  if (c?.shares) out.push(v2 ? t('CPUWeight', sharesToWeight(c.shares)) : t('CPUShares', c.shares));
  if (c?.quota !== undefined && c.quota !== 0)
    out.push(t('CPUQuotaPerSecUSec', quotaPerSec(c.quota, c.period || 100_000)));
  if (r?.pids?.limit !== undefined) out.push(t('TasksMax', r.pids.limit > 0 ? r.pids.limit : INFINITY));
  if (r?.blockIO?.weight)
    out.push(v2 ? t('IOWeight', blkioToIOWeight(r.blockIO.weight)) : t('BlockIOWeight', r.blockIO.weight));
  return out;
}

/** Everything StartTransientUnit gets for the container's scope. */
export function scopeProperties(unit: Unit, pid: number, r: Resources | undefined, layout: CgroupLayout): Prop[] {
  const v2 = layout.mode === 'v2';
  return [
    ['Description', { sig: 's', value: `carton container ${unit.name}` }],
    ['Slice', { sig: 's', value: unit.slice }],
    ['PIDs', { sig: 'au', value: [pid] }],
    // the container's processes are its own business below the scope (systemd.resource-control(5))
    b('Delegate', true),
    b('DefaultDependencies', false),
    b('MemoryAccounting', true),
    b('CPUAccounting', true),
    b('TasksAccounting', true),
    b(v2 ? 'IOAccounting' : 'BlockIOAccounting', true),
    ...resourceProperties(r, layout),
  ];
}
