// The container's freezer, wherever the host keeps it: the v1 freezer
// hierarchy if there is one, else the container's cgroup2 directory. Only
// the two freezer drivers are imported, so `carton state` (status.ts) can ask
// "paused?" without loading the other controllers.
import { SetupError } from '../errors';
import type { CgroupRecord } from './types';
import * as v1freezer from './v1/freezer';
import * as v2freezer from './v2/freezer';

function freezerOf(rec: CgroupRecord): { dir: string; impl: typeof v1freezer | typeof v2freezer } | undefined {
  const v1dir = Object.entries(rec.dirs).find(([k]) => k.split(',').includes('freezer'))?.[1];
  if (v1dir !== undefined) return { dir: v1dir, impl: v1freezer };
  const v2dir = rec.dirs[''];
  if (v2dir) return { dir: v2dir, impl: v2freezer };
  return undefined;
}

function mustFreezer(rec: CgroupRecord): { dir: string; impl: typeof v1freezer | typeof v2freezer } {
  const f = freezerOf(rec);
  if (!f) throw new SetupError('the freezer cgroup controller is not available on this host', { kind: 'host-lacks' });
  return f;
}

export function freeze(rec: CgroupRecord): void {
  const f = mustFreezer(rec);
  f.impl.freeze(f.dir);
}

export function thaw(rec: CgroupRecord): void {
  const f = mustFreezer(rec);
  f.impl.thaw(f.dir);
}

/** False as well when the container has no freezer (it cannot be paused then). */
export function isFrozen(rec: CgroupRecord): boolean {
  const f = freezerOf(rec);
  return f ? f.impl.frozen(f.dir) : false;
}
