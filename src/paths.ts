// Where the checkout (or installed package) lives: the directory with
// binding.gyp, found from this file whether it runs from src/ (tests) or from
// the bundled dist/carton.js.
import * as fs from 'fs';
import * as path from 'path';
import { CartonError } from './errors';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'binding.gyp'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new CartonError(`cannot find the carton package root above ${start}`, { kind: 'internal' });
    dir = up;
  }
}

export const packageRoot = findRoot(__dirname);
export const nativeDir = path.join(packageRoot, 'build', 'Release');
export const initPath = path.join(nativeDir, 'carton-init');
