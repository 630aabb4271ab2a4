// v2 freezer: cgroup.freeze, with completion reported by "frozen 1" in
// cgroup.events (the kernel freezes asynchronously).
import * as fs from 'fs';
import * as path from 'path';
import { SetupError, errText } from '../../errors';
import { sleepSync } from '../../sleep';

export function frozen(dir: string): boolean {
  try {
    return /^frozen 1$/m.test(fs.readFileSync(path.join(dir, 'cgroup.events'), 'utf8'));
  } catch {
    return false;
  }
}

function set(dir: string, on: boolean): void {
  const file = path.join(dir, 'cgroup.freeze');
  try {
    fs.writeFileSync(file, on ? '1' : '0');
  } catch (e) {
    throw new SetupError(`freezer: write ${on ? 1 : 0} to ${file}: ${errText(e)}`);
  }
  for (let i = 0; i < 2000; i++) {
    if (frozen(dir) === on) return;
    sleepSync(1);
  }
  throw new SetupError(`freezer: ${dir} did not ${on ? 'freeze' : 'thaw'}`);
}

export const freeze = (dir: string): void => set(dir, true);
export const thaw = (dir: string): void => set(dir, false);
