// Plan records with tags 60-69 (native/init/plan.h): id-mapped mounts,
// network devices and the process attributes set just before the user
// switch. Kept apart from encode.ts so the core format stays untouched.
import type { IdMap } from '../spec/types';
import { Payload } from './encode';
import type { Plan } from './types';

export const T_EXT = { IDMAP_MOUNT: 60, NET_DEVICE: 61, PERSONALITY: 62, SCHEDULER: 63, IO_PRIORITY: 64, MEMORY_POLICY: 65, HOST_FACTS: 66 } as const;

function maps(b: Payload, m: IdMap[]): Payload {
  b.u32(m.length);
  for (const x of m) b.u32(x.containerID).u32(x.hostID).u32(x.size);
  return b;
}

export function encodeExtensions(p: Plan, rec: (tag: number, body: Payload) => void): void {
  p.mounts.forEach((m, i) => {
    if (!m.idmap) return;
    const b = new Payload().u32(i).u32(m.idmap.recursive ? 1 : 0);
    rec(T_EXT.IDMAP_MOUNT, maps(maps(b, m.idmap.uid), m.idmap.gid));
  });
  for (const d of p.netDevices ?? []) rec(T_EXT.NET_DEVICE, new Payload().lstr(d.host, 'linux.netDevices').str(d.name, 'linux.netDevices name'));
  const a = p.attrs;
  if (a?.personality !== undefined) rec(T_EXT.PERSONALITY, new Payload().u32(a.personality));
  if (a?.scheduler) {
    const s = a.scheduler;
    rec(T_EXT.SCHEDULER, new Payload().u32(s.policy).u64(s.flags).i32(s.nice).u32(s.priority).u64(s.runtime).u64(s.deadline).u64(s.period));
  }
  if (a?.ioPriority !== undefined) rec(T_EXT.IO_PRIORITY, new Payload().u32(a.ioPriority));
  if (a?.memoryPolicy) {
    const b = new Payload().u32(a.memoryPolicy.mode).u32(a.memoryPolicy.flags);
    for (const w of a.memoryPolicy.nodes) b.u64(w);
    rec(T_EXT.MEMORY_POLICY, b);
  }
  rec(T_EXT.HOST_FACTS, new Payload().u32(p.host.lastCap).u32(p.host.setgroups));
}
