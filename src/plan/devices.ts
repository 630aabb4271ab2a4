// /dev inside the container: runc's default device nodes and symlinks, plus
// linux.devices. Only made when /dev is a fresh (non-bind) mount, as runc does.
import * as fs from 'fs';
import type { Device } from '../spec/types';
import type { PlanDevice } from './types';

const DEFAULT_DEVICES: Array<[string, number, number]> = [
  ['/dev/null', 1, 3],
  ['/dev/zero', 1, 5],
  ['/dev/full', 1, 7],
  ['/dev/random', 1, 8],
  ['/dev/urandom', 1, 9],
  ['/dev/tty', 5, 0],
];

export function planDevices(spec: Device[] | undefined, bind: boolean): PlanDevice[] {
  const out = new Map<string, PlanDevice>();
  for (const [path, major, minor] of DEFAULT_DEVICES) {
    out.set(path, { path, type: 'c', major, minor, mode: 0o666, uid: 0, gid: 0, bind });
  }
  for (const d of spec ?? []) {
    out.set(d.path, {
      path: d.path,
      type: d.type,
      major: d.major ?? 0,
      minor: d.minor ?? 0,
      mode: (d.fileMode ?? 0o666) & 0o7777,
      uid: d.uid ?? 0,
      gid: d.gid ?? 0,
      bind,
    });
  }
  return [...out.values()];
}

export function defaultSymlinks(): Array<{ target: string; path: string }> {
  const links = [
    { target: '/proc/self/fd', path: '/dev/fd' },
    { target: '/proc/self/fd/0', path: '/dev/stdin' },
    { target: '/proc/self/fd/1', path: '/dev/stdout' },
    { target: '/proc/self/fd/2', path: '/dev/stderr' },
    { target: 'pts/ptmx', path: '/dev/ptmx' },
  ];
  if (fs.existsSync('/proc/kcore')) links.push({ target: '/proc/kcore', path: '/dev/core' });
  return links;
}
