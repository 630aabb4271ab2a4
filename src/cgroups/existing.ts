// A container's cgroup that exists before create (a leftover of an earlier
// container with the same id, or one an engine made): an empty one is
// reused; a frozen one is refused, because init would freeze at birth and
// create (and whoever reads its stdout) would wait forever; one that already
// holds processes is used with runc 1.1's warning.
import * as fs from 'fs';
import * as path from 'path';
import { SetupError } from '../errors';
import { warn } from '../log';
import type { CgroupRecord } from './types';

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Checked before anything is created, so a refusal leaves nothing behind. */
export function checkExisting(rec: CgroupRecord): void {
  const pids = new Set<string>();
  for (const [key, dir] of Object.entries(rec.dirs)) {
    if (!dir || !fs.existsSync(dir)) continue;
    // v1 freezer.state, or cgroup.freeze in the cgroup2 directory (on a
    // hybrid host too: clone3 CLONE_INTO_CGROUP would be born frozen there).
    const frozen = key.split(',').includes('freezer')
      ? (read(path.join(dir, 'freezer.state'))?.trim() ?? 'THAWED') !== 'THAWED'
      : key === '' && read(path.join(dir, 'cgroup.freeze'))?.trim() === '1';
    if (frozen) throw new SetupError(`container's cgroup unexpectedly frozen (${dir})`);
    for (const p of (read(path.join(dir, 'cgroup.procs')) ?? '').split('\n')) if (p) pids.add(p);
  }
  // runc 1.1.5's wording; it counts one hierarchy, carton every one it will join.
  if (pids.size) warn(`container's cgroup is not empty: ${pids.size} process(es) found`);
}
