// --rootless: a caller without root may not create cgroups in the host's
// hierarchies. As runc does, that is tolerated when the config leaves the
// cgroup to the runtime (no linux.cgroupsPath) and asks for no limits: the
// hierarchies it cannot write are dropped from the container's record, and
// nothing is created there. Limits it cannot apply stay an error.
import * as fs from 'fs';
import * as path from 'path';
import { SetupError } from '../errors';
import type { CgroupRecord, Resources } from './types';

/** --rootless=true|false|auto (auto: rootless when not running as root). */
export function isRootless(flag: string | undefined): boolean {
  if (flag === 'true') return true;
  if (flag === 'false') return false;
  return (process.geteuid?.() ?? 0) !== 0;
}

/** The nearest existing ancestor of dir (dir itself if it exists). */
function existing(dir: string): string {
  let d = dir;
  while (!fs.existsSync(d) && d !== path.dirname(d)) d = path.dirname(d);
  return d;
}

function writable(dir: string): boolean {
  // mkdir needs write and search on the parent; if the directory exists
  // already, joining it needs its cgroup.procs.
  const target = fs.existsSync(dir) ? path.join(dir, 'cgroup.procs') : existing(dir);
  try {
    fs.accessSync(target, fs.constants.W_OK | (target === dir ? fs.constants.X_OK : 0));
    return true;
  } catch {
    return false;
  }
}

function wantsLimits(r: Resources | undefined): string | undefined {
  for (const [k, v] of Object.entries(r ?? {})) {
    if (v === undefined || v === null) continue;
    if (k === 'devices') continue; // runc ignores device rules when rootless
    if (typeof v === 'object' && Object.keys(v as object).length === 0) continue;
    return k;
  }
  return undefined;
}

/**
 * The record with the hierarchies this caller cannot write removed, or
 * unchanged when not rootless. `explicit`: linux.cgroupsPath was given, so
 * the cgroup is required, as in runc.
 */
export function rootlessRecord(
  rec: CgroupRecord,
  rootless: boolean,
  explicit: boolean,
  r: Resources | undefined,
): CgroupRecord {
  if (!rootless || explicit) return rec;
  const dirs = Object.fromEntries(Object.entries(rec.dirs).filter(([, d]) => writable(d)));
  if (Object.keys(dirs).length === Object.keys(rec.dirs).length) return rec;
  const field = wantsLimits(r);
  if (field)
    throw new SetupError(
      `linux.resources.${field}: cannot set ${field} limit: container could not join or create cgroup`,
      { kind: 'invalid-config' },
    );
  return { ...rec, dirs };
}
