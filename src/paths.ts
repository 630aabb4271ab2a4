// Where the native parts (build/Release/carton-init and carton.node) are.
// - From the checkout (tests run src/, bin/carton runs dist/carton.js): the
//   directory with binding.gyp, found upwards from this file.
// - From the shipped executable (dist/carton, compiled with Bun by
//   scripts/bundle.mjs, CARTON_STANDALONE defined): beside it in
//   ../build/Release, the package's layout, found from the executable's own
//   path (/proc/self/exe, so a symlink on PATH still leads here). No
//   binding.gyp is needed at run time.
import * as fs from 'fs';
import * as path from 'path';
import { CartonError } from './errors';

declare const CARTON_STANDALONE: boolean | undefined;

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'binding.gyp'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new CartonError(`cannot find the carton package root above ${start}`, { kind: 'internal' });
    dir = up;
  }
}

const standalone = typeof CARTON_STANDALONE !== 'undefined' && CARTON_STANDALONE;

export const nativeDir = standalone
  ? path.join(path.dirname(process.execPath), '..', 'build', 'Release')
  : path.join(findRoot(__dirname), 'build', 'Release');
export const initPath = path.join(nativeDir, 'carton-init');
