// Reading and writing cgroup files. Writes open O_WRONLY without O_CREAT,
// so a file the kernel does not have is ENOENT (named as such), and
// write-only files (devices.allow, cgroup.kill) open as root expects.
import * as fs from 'fs';
import * as path from 'path';
import { SetupError, errCode, errText } from '../errors';
import type { Reader } from './driver';
import type { Write } from './types';

/** A Reader over one directory; read('.') lists the directory (for per-page-size files). */
export function reader(dir: string): Reader {
  return (file) => {
    try {
      if (file === '.') return fs.readdirSync(dir).join('\n');
      return fs.readFileSync(path.join(dir, file), 'utf8');
    } catch {
      return undefined;
    }
  };
}

export function writeRaw(file: string, value: string): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY);
  try {
    fs.writeSync(fd, value);
  } finally {
    fs.closeSync(fd);
  }
}

/** One write, with the error naming the field, the controller and the file. */
export function apply(dir: string, controller: string, w: Write): void {
  const file = path.join(dir, w.file);
  try {
    writeRaw(file, w.value);
  } catch (e) {
    const c = errCode(e);
    if (c === 'ENOENT' && w.optional) return;
    if (c === 'EINVAL' && w.softEinval) return;
    if (c === 'ENOENT' && fs.existsSync(dir))
      throw new SetupError(`${w.field}: the ${controller} controller on this host has no ${w.file} (${dir})`, {
        kind: 'host-lacks',
      });
    throw new SetupError(`${w.field}: write ${w.value} to ${file}: ${errText(e)}`);
  }
  if (w.verify) {
    const msg = w.verify(fs.readFileSync(file, 'utf8').trim());
    if (msg) throw new SetupError(`${w.field}: ${msg}`, { kind: 'invalid-config' });
  }
}
