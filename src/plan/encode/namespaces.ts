// Plan records of the namespaces concern (decoded by
// native/init/plan_namespaces.cc): which namespaces to join and create, time
// offsets, the UTS names, sysctls and network devices moved into the new
// network namespace.
import { TAG } from '../format';
import type { Plan } from '../types';
import { P, type Rec } from './payload';

export function encodeNamespaces(p: Plan, rec: Rec): void {
  for (const j of p.nsJoin) rec(TAG.NS_JOIN, P().u32(j.flag).str(j.path, 'linux.namespaces path'));
  rec(TAG.NS_NEW, P().u32(p.nsNew));
  for (const t of p.timeOffsets) rec(TAG.TIME_OFFSET, P().u32(t.clock).i64(t.secs).u32(t.nsecs));
  if (p.hostname !== undefined) rec(TAG.HOSTNAME, P().str(p.hostname, 'hostname'));
  if (p.domainname !== undefined) rec(TAG.DOMAINNAME, P().str(p.domainname, 'domainname'));
  for (const [k, v] of p.sysctl) rec(TAG.SYSCTL, P().lstr(k, 'linux.sysctl').str(v, `linux.sysctl ${k}`));
  for (const d of p.netDevices ?? [])
    rec(TAG.NET_DEVICE, P().lstr(d.host, 'linux.netDevices').str(d.name, 'linux.netDevices name'));
}
