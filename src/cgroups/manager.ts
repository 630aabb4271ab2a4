// The container's cgroup, the single entry point for src/container/*.ts:
// where it goes, creating it, putting processes in it, applying and updating
// linux.resources, freezing, stats, killing, and removing exactly the
// directories carton created (never a cgroup someone else made).
//
// One algorithm serves v1, v2 and hybrid hosts: each resource controller is
// taken from the v1 hierarchy it is mounted on, else from the cgroup2
// hierarchy if it is enabled there; a field whose controller is in neither
// is an error naming both.
import * as fs from 'fs';
import * as path from 'path';
import { SetupError, errCode, errText } from '../errors';
import { apply, reader, writeRaw } from './files';
import { hostLayout, selfCgroups, type CgroupLayout, type Hierarchy } from './mounts';
import type { Controller, StatsData } from './driver';
import type { CgroupRecord, Resources } from './types';
import * as v1 from './v1';
import * as v2 from './v2';
import { controllerOf } from './v2/unified';
import * as bpfDevices from './v2/devices';
import * as systemd from './systemd';
import { checkExisting } from './existing';
import { sleepSync } from '../sleep';

/** The default parent for containers without linux.cgroupsPath. */
export const DEFAULT_PARENT = '/carton';

/**
 * --systemd-cgroup: the scope for the container. There is no silent fallback
 * to cgroupfs: an engine that asked for systemd would then find its
 * container outside the slice it manages.
 */
export function systemdUnit(cgroupsPath: string | undefined, id: string): systemd.Unit {
  const why = systemd.unavailable();
  if (why) throw new SetupError(why);
  return systemd.unitFor(cgroupsPath, id);
}

/** linux.cgroupsPath for the cgroupfs driver (--systemd-cgroup: systemdUnit). */
export function resolveCgroupsPath(cgroupsPath: string | undefined, id: string): string {
  if (!cgroupsPath) return `${DEFAULT_PARENT}/${id}`;
  if (cgroupsPath.includes(':') && !cgroupsPath.startsWith('/')) {
    throw new SetupError(
      `linux.cgroupsPath "${cgroupsPath}" is in systemd "slice:prefix:name" form, which needs --systemd-cgroup`,
      { kind: 'invalid-config' },
    );
  }
  const norm = path.posix.normalize(cgroupsPath);
  if (norm.split('/').includes('..'))
    throw new SetupError(`linux.cgroupsPath "${cgroupsPath}" escapes the cgroup hierarchy`, { kind: 'invalid-config' });
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

export function plan(layout: CgroupLayout, cgPath: string, unit?: systemd.Unit): CgroupRecord {
  const self = selfCgroups();
  const dirs: Record<string, string> = {};
  for (const h of layout.v1) dirs[h.controllers.join(',')] = dirIn(h, cgPath, self);
  if (layout.unified) dirs[''] = dirIn(layout.unified, cgPath, self);
  return { mode: layout.mode, path: cgPath, dirs, created: [], ...(unit && { systemd: unit }) };
}

/**
 * mkdir -p that records what it made. Other carton processes create and
 * remove the shared default parent concurrently, so a parent that vanishes
 * under us (ENOENT) is simply made again.
 */
function mkdirs(dir: string, created: string[], unified: boolean): void {
  for (let attempt = 0; ; attempt++) {
    const missing: string[] = [];
    for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) missing.unshift(d);
    try {
      for (const d of missing) {
        try {
          fs.mkdirSync(d);
        } catch (e) {
          if (errCode(e) === 'EEXIST') continue;
          throw e;
        }
        created.push(d);
        if (unified && d !== dir) enableControllers(d);
      }
      return;
    } catch (e) {
      if (errCode(e) === 'ENOENT' && attempt < 10) continue;
      throw new SetupError(`cgroup: mkdir ${dir}: ${errText(e)}`);
    }
  }
}

/**
 * v1 cpuset directories start with empty cpus/mems, and no task can join
 * until they are set. Fill every empty level from its parent, top down: a
 * parent another carton process just created may not be filled yet.
 */
function fillCpuset(dir: string, mountPoint: string): void {
  const chain: string[] = [];
  for (let d = dir; d.startsWith(mountPoint + '/'); d = path.dirname(d)) chain.unshift(d);
  for (const d of chain) {
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      if (fs.readFileSync(path.join(d, f), 'utf8').trim()) continue;
      const v = fs.readFileSync(path.join(path.dirname(d), f), 'utf8').trim();
      try {
        fs.writeFileSync(path.join(d, f), v);
      } catch (e) {
        throw new SetupError(`cgroup: write ${v} to ${path.join(d, f)}: ${errText(e)}`);
      }
    }
  }
}

/** In a v2 directory carton created, delegate every controller the parent offers to the children. */
function enableControllers(d: string): void {
  const avail = fs.readFileSync(path.join(d, 'cgroup.controllers'), 'utf8').trim();
  if (!avail) return;
  fs.writeFileSync(
    path.join(d, 'cgroup.subtree_control'),
    avail
      .split(/\s+/)
      .map((c) => `+${c}`)
      .join(' '),
  );
}

function v2Available(rec: CgroupRecord): string[] {
  const d = rec.dirs[''];
  if (!d) return [];
  return (reader(d)('cgroup.controllers') ?? '').trim().split(/\s+/).filter(Boolean);
}

interface Placed {
  ctrl: Controller;
  dir: string;
}

/** Where each controller lives for this container; fields whose controller is nowhere are an error. */
function placements(rec: CgroupRecord, layout: CgroupLayout, r: Resources): Placed[] {
  const avail = v2Available(rec);
  const out: Placed[] = [];
  for (const c of v1.controllers()) {
    const h = layout.v1.find((x) => x.controllers.includes(c.name));
    if (h) {
      // absent: a rootless caller could not create it (cgroups/rootless.ts)
      const dir = rec.dirs[h.controllers.join(',')];
      if (dir !== undefined) out.push({ ctrl: c, dir });
      continue;
    }
    const alt = v2.byV1Name[c.name];
    if (alt && rec.dirs[''] && avail.includes(alt.name)) {
      out.push({ ctrl: alt, dir: rec.dirs[''] });
      continue;
    }
    if (c.name === 'devices' && rec.dirs['']) continue; // an eBPF program on the cgroup2 directory
    const fields = c.fields(r);
    if (fields.length) {
      const where =
        layout.mode === 'v1'
          ? 'no cgroup v1 hierarchy has it'
          : layout.mode === 'v2'
            ? `not enabled in ${rec.dirs['']}`
            : `not mounted as cgroup v1, and not enabled in ${rec.dirs['']}`;
      const v2name =
        alt && alt.name !== c.name
          ? ` (v2: ${alt.name})`
          : !alt && c.name.startsWith('net_')
            ? ' (cgroup v2 has no equivalent)'
            : '';
      throw new SetupError(
        `${fields[0]}: the ${c.name} cgroup controller${v2name} is not available on this host: ${where}`,
        { kind: 'host-lacks' },
      );
    }
  }
  return out;
}

/** Checks that need no cgroup directory, done before anything is created. */
export function checkSupported(r: Resources | undefined, layout: CgroupLayout = hostLayout()): void {
  if (r?.unified && Object.keys(r.unified).length && !layout.unified) {
    throw new SetupError('linux.resources.unified: invalid configuration: cannot use unified on cgroup v1', {
      kind: 'invalid-config',
    });
  }
  if (r?.unified) v2.unifiedWrites(r.unified, Object.keys(r.unified).map(controllerOf), '');
  if (layout.mode === 'v2') {
    // Conversions that can fail on their own, so a bad config fails before any mkdir.
    v2.memory.writes({ memory: { ...r?.memory, checkBeforeUpdate: false } }, () => undefined);
    v2.cpu.writes({ cpu: r?.cpu }, () => undefined);
  }
}

function setResources(rec: CgroupRecord, layout: CgroupLayout, r: Resources, update: boolean): void {
  for (const p of placements(rec, layout, r)) {
    // update leaves the device rules as create made them, as runc does.
    if (update && p.ctrl.name === 'devices' && !r.devices) continue;
    for (const w of p.ctrl.writes(r, reader(p.dir))) apply(p.dir, p.ctrl.name, w);
  }
  if (rec.dirs[''] && !layout.v1.some((h) => h.controllers.includes('devices')) && (!update || r.devices)) {
    bpfDevices.install(rec.dirs[''], v1.deviceRules(r));
  }
  const dir = rec.dirs[''];
  if (r.unified && Object.keys(r.unified).length && dir) {
    for (const w of v2.unifiedWrites(r.unified, v2Available(rec), dir)) apply(dir, controllerOf(w.file), w);
  }
}

/** --systemd-cgroup records between create() and the first addProcess(), which starts the scope with init in it. */
const unstarted = new WeakMap<CgroupRecord, { layout: CgroupLayout; resources?: Resources }>();

/**
 * linux.devices nodes are not passed here on purpose: creating a node grants
 * no access to it (only linux.resources.devices and runc's defaults do).
 */
export function create(rec: CgroupRecord, layout: CgroupLayout, resources: Resources | undefined): void {
  if (rec.systemd) {
    unstarted.set(rec, { layout, resources });
    return;
  }
  checkExisting(rec);
  materialize(rec, layout);
  setResources(rec, layout, resources ?? {}, false);
}

/** The container's directory in every hierarchy, made where missing (and recorded). */
function materialize(rec: CgroupRecord, layout: CgroupLayout): void {
  for (const h of layout.v1) {
    const dir = rec.dirs[h.controllers.join(',')];
    if (dir === undefined) continue;
    mkdirs(dir, rec.created, false);
    if (h.controllers.includes('cpuset')) fillCpuset(dir, h.mountPoint);
  }
  // Under systemd its slices are its own: no subtree_control writes there.
  if (layout.unified && rec.dirs[''] !== undefined) mkdirs(rec.dirs[''], rec.created, !rec.systemd);
}

/** `update`: write only the fields given. */
export function update(rec: CgroupRecord, resources: Resources): void {
  checkSupported(resources);
  const layout = hostLayout();
  if (rec.systemd) systemd.setProperties(rec.systemd, resources, layout);
  setResources(rec, layout, resources, true);
}

/**
 * Put a process in the container's cgroup in every hierarchy (but `skip`,
 * where it already is). Under --systemd-cgroup the first one, init, starts
 * the scope; the hierarchies systemd does not manage are joined as with
 * cgroupfs, and the resources written once init is in.
 */
export function addProcess(rec: CgroupRecord, pid: number, skip?: string): void {
  const first = unstarted.get(rec);
  if (first) {
    unstarted.delete(rec);
    try {
      systemd.startUnit(rec.systemd!, pid, first.resources, first.layout);
      rec.systemd!.started = true;
    } catch (e) {
      // Ours to stop even if the start job failed half-way; a unit that
      // already existed is another container's and never is.
      rec.systemd!.started = !(e instanceof systemd.UnitExistsError);
      throw e;
    }
    materialize(rec, first.layout);
  }
  join(rec, pid, skip);
  if (first) setResources(rec, first.layout, first.resources ?? {}, false);
}

function join(rec: CgroupRecord, pid: number, skip?: string): void {
  for (const dir of Object.values(rec.dirs)) {
    if (dir === skip) continue;
    try {
      writeRaw(path.join(dir, 'cgroup.procs'), String(pid));
    } catch (e) {
      throw new SetupError(`cgroup: add pid ${pid} to ${dir}: ${errText(e)}`);
    }
  }
}

/** runc's types.Stats for `events`. */
export function stats(rec: CgroupRecord): StatsData {
  const out: StatsData = {};
  for (const p of placements(rec, hostLayout(), {})) p.ctrl.stats?.(reader(p.dir), out);
  const ordered: StatsData = {
    cpu: out.cpu ?? { usage: { kernel: 0, user: 0 }, throttling: {} },
    cpuset: out.cpuset ?? {
      cpu_exclusive: 0,
      mem_hardwall: 0,
      mem_exclusive: 0,
      memory_migrate: 0,
      memory_spread_page: 0,
      memory_spread_slab: 0,
      memory_pressure: 0,
      sched_load_balance: 0,
      sched_relax_domain_level: 0,
    },
    memory: out.memory ?? {},
    pids: out.pids ?? {},
    blkio: out.blkio ?? {},
    hugetlb: out.hugetlb ?? {},
    intel_rdt: {},
    network_interfaces: null,
  };
  return ordered;
}

/**
 * Remove what carton created, children first. A parent that other
 * containers still use stays (EBUSY); the container's own directory must go,
 * so exiting tasks get a moment to leave it.
 */
export function destroy(rec: CgroupRecord): void {
  const leaves = new Set(Object.values(rec.dirs));
  const failures: string[] = [];
  unstarted.delete(rec);
  if (rec.systemd?.started) {
    try {
      systemd.stopUnit(rec.systemd);
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
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
        sleepSync(10);
      }
    }
  }
  // carton's default parent is shared by every container that has no
  // cgroupsPath: whoever leaves it empty removes it, creator or not.
  if (rec.path.startsWith(DEFAULT_PARENT + '/')) {
    for (const d of leaves) removeSharedParent(path.dirname(d));
  }
  if (failures.length) throw new SetupError(`cgroup: remove ${failures.join('; ')}`);
}

/**
 * rmdir of the shared default parent. A v1 child directory goes offline
 * asynchronously after its rmdir, so the parent can report EBUSY for a
 * moment with no child left: retry while it has no subdirectory. With a
 * subdirectory, another container uses it and it stays.
 */
function removeSharedParent(dir: string): void {
  for (let i = 0; i < 200; i++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (e) {
      if (errCode(e) !== 'EBUSY') return;
      let busy: boolean;
      try {
        busy = fs.readdirSync(dir, { withFileTypes: true }).some((x) => x.isDirectory());
      } catch {
        return;
      }
      if (busy) return;
      sleepSync(1);
    }
  }
}

export { hostLayout };
export * from './running';
