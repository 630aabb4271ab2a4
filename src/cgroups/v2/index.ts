// The cgroup v2 driver: one controller per file, looked up by the names in
// the container's cgroup.controllers. Keyed by the v1 controller each one
// stands in for, so a hybrid host can take each from wherever it lives.
import type { Controller } from '../driver';
import { cpu } from './cpu';
import { cpuset } from './cpuset';
import { hugetlb } from './hugetlb';
import { io } from './io';
import { memory } from './memory';
import { pids } from './pids';
import { rdma } from './rdma';

/** v1 controller name -> its v2 counterpart (net_cls/net_prio have none; devices is an eBPF program). */
export const byV1Name: Record<string, Controller> = { memory, cpu, cpuset, pids, blkio: io, hugetlb, rdma };
export { memory, cpu };

export * as freezer from './freezer';
export { sharesToWeight } from './cpu';
export { blkioToIOWeight } from './io';
export { swapV2 } from './memory';
export { unifiedWrites } from './unified';
