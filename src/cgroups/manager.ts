// The container's cgroup: where it goes, creating it, putting init in it,
// applying the resources carton supports so far, and removing exactly the
// directories carton created (never a cgroup someone else made).
import * as fs from 'fs';
import * as path from 'path';
import { SetupError, errCode, errText } from '../errors';
import { warn } from '../log';
import { hostLayout, selfCgroups, type CgroupLayout, type Hierarchy } from './mounts';
import type { CgroupRecord, Resources, Write } from './types';
import * as v1 from './v1';
import * as v2 from './v2';

/** The default parent for containers without linux.cgroupsPath. */
export const DEFAULT_PARENT = '/carton';

export function resolveCgroupsPath(cgroupsPath: string | undefined, id: string, systemd: boolean): string {
  if (systemd) throw new SetupError('--systemd-cgroup: the systemd cgroup driver is not available (systemd is not PID 1 on this host)');
  if (!cgroupsPath) return `${DEFAULT_PARENT}/${id}`;
  if (cgroupsPath.includes(':') && !cgroupsPath.startsWith('/')) {
    throw new SetupError(`linux.cgroupsPath "${cgroupsPath}" is in systemd "slice:prefix:name" form, which needs --systemd-cgroup`);
  }
  const norm = path.posix.normalize(cgroupsPath);
  if (norm.split('/').includes('..')) throw new SetupError(`linux.cgroupsPath "${cgroupsPath}" escapes the cgroup hierarchy`);
  return norm;
}

/** The directory for `cgPath` in one hierarchy. Relative paths are relative to our own cgroup there, as runc does. */
function dirIn(h: Hierarchy, cgPath: string, self: Map<string, string>): string {
  if (cgPath.startsWith('/')) return path.join(h.mountPoint, cgPath);
  const key = h.type === 'cgroup2' ? '' : h.controllers.join(',');
  const mine = self.get(key) ?? '/';
  const rel = path.posix.relative(h.root, mine);
  return path.join(h.mountPoint, rel, cgPath);
}

export function plan(layout: CgroupLayout, cgPath: string): CgroupRecord {
  const self = selfCgroups();
  const dirs: Record<string, string> = {};
  for (const h of layout.v1) dirs[h.controllers.join(',')] = dirIn(h, cgPath, self);
  if (layout.unified) dirs[''] = dirIn(layout.unified, cgPath, self);
  return { mode: layout.mode, path: cgPath, dirs, created: [] };
}

function write(dir: string, w: Write): void {
  const file = path.join(dir, w.file);
  try {
    fs.writeFileSync(file, w.value);
  } catch (e) {
    throw new SetupError(`${w.field}: write ${w.value} to ${file}: ${errText(e)}`);
  }
}

/** mkdir -p that records what it made. cpuset dirs start empty in v1 and must inherit cpus/mems first. */
function mkdirs(dir: string, created: string[], cpuset: boolean, unified: boolean): void {
  const missing: string[] = [];
  for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) missing.unshift(d);
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      if (errCode(e) !== 'EEXIST') throw new SetupError(`cgroup: mkdir ${d}: ${errText(e)}`);
      continue;
    }
    created.push(d);
    if (cpuset) {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        const v = fs.readFileSync(path.join(path.dirname(d), f), 'utf8').trim();
        fs.writeFileSync(path.join(d, f), v);
      }
    }
    if (unified && d !== dir) enableControllers(d);
  }
}

/** In a v2 directory carton created, delegate every controller the parent offers to the children. */
function enableControllers(d: string): void {
  const avail = fs.readFileSync(path.join(d, 'cgroup.controllers'), 'utf8').trim();
  if (!avail) return;
  fs.writeFileSync(path.join(d, 'cgroup.subtree_control'), avail.split(/\s+/).map((c) => `+${c}`).join(' '));
}

/** linux.resources fields applied so far; the rest are refused, not ignored. */
const SUPPORTED = new Set(['memory', 'cpu', 'pids', 'devices']);
const SUPPORTED_SUB: Record<string, string[]> = {
  memory: ['limit', 'reservation', 'swap'],
  cpu: ['shares', 'quota', 'period', 'cpus', 'mems'],
  pids: ['limit'],
};

export function checkSupported(r: Resources | undefined): void {
  for (const [k, v] of Object.entries(r ?? {})) {
    if (!SUPPORTED.has(k)) throw new SetupError(`config.json: /linux/resources/${k} is not supported by this version of carton`);
    for (const sub of Object.keys(typeof v === 'object' && v && !Array.isArray(v) ? v : {})) {
      if (!SUPPORTED_SUB[k]?.includes(sub)) throw new SetupError(`config.json: /linux/resources/${k}/${sub} is not supported by this version of carton`);
    }
  }
}

export function create(rec: CgroupRecord, layout: CgroupLayout, resources: Resources | undefined): void {
  const r = resources ?? {};
  for (const h of layout.v1) {
    const dir = rec.dirs[h.controllers.join(',')];
    mkdirs(dir, rec.created, h.controllers.includes('cpuset'), false);
    for (const w of v1.writesFor(h.controllers, r)) write(dir, w);
  }
  if (layout.unified) {
    mkdirs(rec.dirs[''], rec.created, false, true);
  }
  if (layout.mode === 'v2') {
    // The v2 device controller is an eBPF program (a later milestone); say so
    // rather than pretend the rules hold.
    if (r.devices?.length) warn('linux.resources.devices: device rules are not enforced on cgroup v2 by this version of carton');
    const avail = fs.readFileSync(path.join(rec.dirs[''], 'cgroup.controllers'), 'utf8').split(/\s+/);
    for (const w of v2.writes(r)) {
      if (!avail.includes(w.controller)) throw new SetupError(`${w.field}: the ${w.controller} controller is not available in ${rec.dirs['']}`);
      write(rec.dirs[''], w);
    }
  } else {
    for (const [res, ctrl] of Object.entries(v1.v1ControllerOf)) {
      if (r[res] === undefined) continue;
      if (!layout.v1.some((h) => h.controllers.includes(ctrl))) {
        throw new SetupError(`linux.resources.${res}: the ${ctrl} cgroup controller is not mounted on this host`);
      }
    }
  }
}

/** Put a process in the container's cgroup in every hierarchy. */
export function addProcess(rec: CgroupRecord, pid: number): void {
  for (const dir of Object.values(rec.dirs)) {
    try {
      fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
    } catch (e) {
      throw new SetupError(`cgroup: add pid ${pid} to ${dir}: ${errText(e)}`);
    }
  }
}

/** Host pids in the container's cgroup (from the first hierarchy that lists them). */
export function processes(rec: CgroupRecord): number[] {
  const order = ['', ...Object.keys(rec.dirs).filter((k) => k !== '')];
  for (const k of order) {
    const dir = rec.dirs[k];
    if (!dir) continue;
    try {
      return fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      continue;
    }
  }
  return [];
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Remove what carton created, children first. A parent that other
 * containers still use stays (EBUSY); the container's own directory must go,
 * so exiting tasks get a moment to leave it.
 */
export function destroy(rec: CgroupRecord): void {
  const leaves = new Set(Object.values(rec.dirs));
  const failures: string[] = [];
  for (const d of [...rec.created].reverse()) {
    for (let i = 0; ; i++) {
      try {
        fs.rmdirSync(d);
        break;
      } catch (e) {
        const c = errCode(e);
        if (c === 'ENOENT') break;
        if (!leaves.has(d) && (c === 'EBUSY' || c === 'ENOTEMPTY')) break;
        if (i >= 50) {
          failures.push(`${d}: ${errText(e)}`);
          break;
        }
        sleep(10);
      }
    }
  }
  // carton's default parent is shared by every container that has no
  // cgroupsPath: whoever leaves it empty removes it, creator or not.
  if (rec.path.startsWith(DEFAULT_PARENT + '/')) {
    for (const d of leaves) {
      try {
        fs.rmdirSync(path.dirname(d));
      } catch {
        // still in use by another container, or already gone
      }
    }
  }
  if (failures.length) throw new SetupError(`cgroup: remove ${failures.join('; ')}`);
}

export { hostLayout };
