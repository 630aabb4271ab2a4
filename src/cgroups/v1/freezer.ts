// v1 freezer: freezer.state goes FREEZING -> FROZEN; the kernel may stall
// in FREEZING while a task is in an uninterruptible sleep, so runc retries
// by thawing and freezing again. carton does the same, bounded.
import * as fs from 'fs';
import * as path from 'path';
import { SetupError, errText } from '../../errors';
import { sleepSync } from '../../sleep';

function state(dir: string): string {
  return fs.readFileSync(path.join(dir, 'freezer.state'), 'utf8').trim();
}

export function freeze(dir: string): void {
  const file = path.join(dir, 'freezer.state');
  try {
    for (let i = 0; i < 1000; i++) {
      fs.writeFileSync(file, 'FROZEN');
      for (let j = 0; j < 10; j++) {
        if (state(dir) === 'FROZEN') return;
        sleepSync(1);
      }
      if (i % 25 === 24) {
        fs.writeFileSync(file, 'THAWED');
        sleepSync(1);
      }
    }
  } catch (e) {
    throw new SetupError(`freezer: write FROZEN to ${file}: ${errText(e)}`);
  }
  fs.writeFileSync(file, 'THAWED');
  throw new SetupError(`freezer: ${dir} did not freeze (still ${state(dir)})`);
}

export function thaw(dir: string): void {
  const file = path.join(dir, 'freezer.state');
  try {
    fs.writeFileSync(file, 'THAWED');
  } catch (e) {
    throw new SetupError(`freezer: write THAWED to ${file}: ${errText(e)}`);
  }
}

export function frozen(dir: string): boolean {
  try {
    return state(dir) === 'FROZEN';
  } catch {
    return false;
  }
}
