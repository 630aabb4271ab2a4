// Stats: carton's `events --stats` numbers (runc's types.Stats, from
// src/cgroups) re-shaped into the Metrics message containerd decodes:
// io.containerd.cgroups.v1.Metrics on a v1 or hybrid host (memory is a v1
// controller there), io.containerd.cgroups.v2.Metrics on a pure v2 host.
import * as cgroups from '../../cgroups/manager';
import type { CgroupRecord } from '../../cgroups/types';
import type { Any } from '../types';

type Obj = Record<string, any>;
const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function blkio(list: unknown): Obj[] {
  return (Array.isArray(list) ? list : []).map((e: Obj) => ({
    op: e.op ?? '',
    device: '',
    major: n(e.major),
    minor: n(e.minor),
    value: n(e.value),
  }));
}

function entry(e: Obj | undefined): Obj {
  return { limit: n(e?.limit), usage: n(e?.usage), max: n(e?.max), failcnt: n(e?.failcnt) };
}

/** runc's stats -> io.containerd.cgroups.v1.Metrics (protobufjs camelCase). */
export function v1Metrics(s: Obj, oomKill: number): Obj {
  const raw: Obj = s.memory?.raw ?? {};
  const cpu: Obj = s.cpu ?? {};
  const memory: Obj = {
    cache: n(raw.cache),
    rss: n(raw.rss),
    rssHuge: n(raw.rss_huge),
    mappedFile: n(raw.mapped_file),
    dirty: n(raw.dirty),
    writeback: n(raw.writeback),
    pgPgIn: n(raw.pgpgin),
    pgPgOut: n(raw.pgpgout),
    pgFault: n(raw.pgfault),
    pgMajFault: n(raw.pgmajfault),
    inactiveAnon: n(raw.inactive_anon),
    activeAnon: n(raw.active_anon),
    inactiveFile: n(raw.inactive_file),
    activeFile: n(raw.active_file),
    unevictable: n(raw.unevictable),
    hierarchicalMemoryLimit: n(raw.hierarchical_memory_limit),
    hierarchicalSwapLimit: n(raw.hierarchical_memsw_limit),
    totalCache: n(raw.total_cache),
    totalRss: n(raw.total_rss),
    totalRssHuge: n(raw.total_rss_huge),
    totalMappedFile: n(raw.total_mapped_file),
    totalDirty: n(raw.total_dirty),
    totalWriteback: n(raw.total_writeback),
    totalPgPgIn: n(raw.total_pgpgin),
    totalPgPgOut: n(raw.total_pgpgout),
    totalPgFault: n(raw.total_pgfault),
    totalPgMajFault: n(raw.total_pgmajfault),
    totalInactiveAnon: n(raw.total_inactive_anon),
    totalActiveAnon: n(raw.total_active_anon),
    totalInactiveFile: n(raw.total_inactive_file),
    totalActiveFile: n(raw.total_active_file),
    totalUnevictable: n(raw.total_unevictable),
    usage: entry(s.memory?.usage),
    swap: entry(s.memory?.swap),
    kernel: entry(s.memory?.kernel),
    kernelTcp: entry(s.memory?.kernelTCP),
  };
  const b: Obj = s.blkio ?? {};
  return {
    hugetlb: Object.entries((s.hugetlb ?? {}) as Obj).map(([pagesize, e]: [string, Obj]) => ({
      pagesize,
      usage: n(e.usage),
      max: n(e.max),
      failcnt: n(e.failcnt),
    })),
    pids: { current: n(s.pids?.current), limit: n(s.pids?.limit) },
    cpu: {
      usage: {
        total: n(cpu.usage?.total),
        kernel: n(cpu.usage?.kernel),
        user: n(cpu.usage?.user),
        perCpu: (cpu.usage?.percpu ?? []).map(n),
      },
      throttling: {
        periods: n(cpu.throttling?.periods),
        throttledPeriods: n(cpu.throttling?.throttledPeriods),
        throttledTime: n(cpu.throttling?.throttledTime),
      },
    },
    memory,
    blkio: {
      ioServiceBytesRecursive: blkio(b.ioServiceBytesRecursive),
      ioServicedRecursive: blkio(b.ioServicedRecursive),
      ioQueuedRecursive: blkio(b.ioQueueRecursive),
      ioServiceTimeRecursive: blkio(b.ioServiceTimeRecursive),
      ioWaitTimeRecursive: blkio(b.ioWaitTimeRecursive),
      ioMergedRecursive: blkio(b.ioMergedRecursive),
      ioTimeRecursive: blkio(b.ioTimeRecursive),
      sectorsRecursive: blkio(b.sectorsRecursive),
    },
    memoryOomControl: { oomKillDisable: 0, underOom: 0, oomKill },
  };
}

/** runc's stats -> io.containerd.cgroups.v2.Metrics. */
export function v2Metrics(s: Obj, oomKill: number): Obj {
  const raw: Obj = s.memory?.raw ?? {};
  const cpu: Obj = s.cpu ?? {};
  const memory: Obj = {
    usage: n(s.memory?.usage?.usage),
    usageLimit: n(s.memory?.usage?.limit),
    swapUsage: n(s.memory?.swap?.usage),
    swapLimit: n(s.memory?.swap?.limit),
  };
  for (const k of [
    'anon',
    'file',
    'kernel_stack',
    'slab',
    'sock',
    'shmem',
    'file_mapped',
    'file_dirty',
    'file_writeback',
    'anon_thp',
    'inactive_anon',
    'active_anon',
    'inactive_file',
    'active_file',
    'unevictable',
    'slab_reclaimable',
    'slab_unreclaimable',
    'pgfault',
    'pgmajfault',
  ]) {
    memory[k.replace(/_(\w)/g, (_, c: string) => c.toUpperCase())] = n(raw[k]);
  }
  return {
    pids: { current: n(s.pids?.current), limit: n(s.pids?.limit) },
    cpu: {
      usageUsec: Math.floor(n(cpu.usage?.total) / 1000),
      userUsec: Math.floor(n(cpu.usage?.user) / 1000),
      systemUsec: Math.floor(n(cpu.usage?.kernel) / 1000),
      nrPeriods: n(cpu.throttling?.periods),
      nrThrottled: n(cpu.throttling?.throttledPeriods),
      throttledUsec: Math.floor(n(cpu.throttling?.throttledTime) / 1000),
    },
    memory,
    hugetlb: Object.entries((s.hugetlb ?? {}) as Obj).map(([pagesize, e]: [string, Obj]) => ({
      pagesize,
      current: n(e.usage),
      max: n(e.max),
    })),
    memoryEvents: { oomKill, max: n(s.memory?.usage?.failcnt) },
  };
}

export function metrics(rec: CgroupRecord): Any {
  const s = cgroups.stats(rec);
  const ooms = cgroups.oomKills(rec);
  const v1Memory = cgroups.hostLayout().v1.some((h) => h.controllers.includes('memory'));
  return v1Memory
    ? { typeUrl: 'io.containerd.cgroups.v1.Metrics', object: v1Metrics(s, ooms) }
    : { typeUrl: 'io.containerd.cgroups.v2.Metrics', object: v2Metrics(s, ooms) };
}
