// The cgroup v1 driver: one controller per file, looked up by the name of
// the hierarchy it is bound to on this host.
import type { Controller } from '../driver';
import { blkio } from './blkio';
import { cpu } from './cpu';
import { cpuacct } from './cpuacct';
import { cpuset } from './cpuset';
import { devices } from './devices';
import { hugetlb } from './hugetlb';
import { memory } from './memory';
import { netCls } from './net_cls';
import { netPrio } from './net_prio';
import { pids } from './pids';
import { rdma } from './rdma';

export function controllers(): Controller[] {
  return [memory, cpu, cpuacct, cpuset, pids, blkio, hugetlb, netCls, netPrio, rdma, devices];
}

export * as freezer from './freezer';
export { DEFAULT_ALLOWED, deviceRules, devicesWrites } from './devices';
