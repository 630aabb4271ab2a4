// The shim's pure parts: containerd's mount options split into MS_* flags,
// propagation and data as containerd's mount package does, and carton's
// stats re-shaped into containerd's cgroups Metrics.
import t from 'tap';
import { parseOptions } from '../../src/shim/task/mounts';
import { v1Metrics, v2Metrics } from '../../src/shim/task/stats';

t.test('mount options: flags, clearing words, propagation, data in order', async (t) => {
  const MS_RDONLY = 0x1,
    MS_NOSUID = 0x2,
    MS_NODEV = 0x4,
    MS_BIND = 0x1000,
    MS_REC = 0x4000,
    MS_PRIVATE = 0x40000;
  t.same(parseOptions(['ro', 'nosuid', 'lowerdir=/a:/b', 'upperdir=/u', 'workdir=/w']), {
    flags: MS_RDONLY | MS_NOSUID,
    propagation: 0,
    data: 'lowerdir=/a:/b,upperdir=/u,workdir=/w',
  });
  t.same(parseOptions(['rbind', 'ro', 'rprivate']), {
    flags: MS_BIND | MS_REC | MS_RDONLY,
    propagation: MS_PRIVATE | MS_REC,
    data: '',
  });
  t.same(
    parseOptions(['nodev', 'ro', 'rw', 'dev']),
    { flags: 0, propagation: 0, data: '' },
    'rw and dev clear what ro and nodev set',
  );
  t.equal(parseOptions(['nodev', 'defaults']).flags, MS_NODEV);
  t.same(parseOptions([]), { flags: 0, propagation: 0, data: '' });
});

t.test("stats: runc's numbers land in containerd's Metrics fields", async (t) => {
  const s = {
    cpu: {
      usage: { total: 5000, kernel: 1000, user: 4000, percpu: [2000, 3000] },
      throttling: { periods: 3, throttledPeriods: 1, throttledTime: 7000 },
    },
    memory: {
      usage: { usage: 4096, limit: 8192, max: 5000, failcnt: 2 },
      swap: { usage: 1, limit: 2 },
      raw: { rss: 100, total_cache: 200, pgfault: 9, anon: 11, file_mapped: 12 },
    },
    pids: { current: 3, limit: 50 },
    blkio: { ioServiceBytesRecursive: [{ major: 8, minor: 0, op: 'Read', value: 42 }] },
    hugetlb: { '2MB': { usage: 1, max: 2, failcnt: 0 } },
  };
  const v1 = v1Metrics(s, 4);
  t.match(v1, {
    pids: { current: 3, limit: 50 },
    cpu: {
      usage: { total: 5000, kernel: 1000, user: 4000, perCpu: [2000, 3000] },
      throttling: { periods: 3, throttledPeriods: 1, throttledTime: 7000 },
    },
    memory: { rss: 100, totalCache: 200, pgFault: 9, usage: { usage: 4096, limit: 8192, max: 5000, failcnt: 2 } },
    blkio: { ioServiceBytesRecursive: [{ op: 'Read', major: 8, minor: 0, value: 42 }] },
    hugetlb: [{ pagesize: '2MB', usage: 1, max: 2, failcnt: 0 }],
    memoryOomControl: { oomKill: 4 },
  });
  const v2 = v2Metrics(s, 4);
  t.match(v2, {
    cpu: { usageUsec: 5, userUsec: 4, systemUsec: 1, nrPeriods: 3, nrThrottled: 1, throttledUsec: 7 },
    memory: { usage: 4096, usageLimit: 8192, anon: 11, fileMapped: 12 },
    memoryEvents: { oomKill: 4, max: 2 },
  });
  t.same(v1Metrics({}, 0).pids, { current: 0, limit: 0 }, 'missing controllers give zeros, not undefined');
});
