// v1 blkio: weights (CFQ's blkio.weight, or BFQ's blkio.bfq.weight when
// that is what the kernel has, as runc picks) and throttling.
import { setFields, type Controller, type Reader } from '../driver';
import type { Resources, ThrottleDevice, Write } from '../types';

const F = 'linux.resources.blockIO';

export const THROTTLES: Array<[keyof NonNullable<Resources['blockIO']>, string, string]> = [
  ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device', 'rbps'],
  ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device', 'wbps'],
  ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device', 'riops'],
  ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device', 'wiops'],
];

function entries(s: string | undefined): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of (s ?? '').split('\n')) {
    const f = line.trim().split(/\s+/);
    const [dev, ...rest] = f;
    if (dev === undefined || !rest.length || dev === 'Total') continue;
    const [major, minor] = dev.split(':').map(Number);
    const e: Record<string, unknown> = {};
    if (major) e.major = major;
    if (minor) e.minor = minor;
    if (f.length === 3) e.op = f[1];
    const v = Number(f[f.length - 1]);
    if (v) e.value = v;
    out.push(e);
  }
  return out;
}

export const blkio: Controller = {
  name: 'blkio',
  fields: (r) => setFields('blockIO', r.blockIO),
  writes(r, read: Reader) {
    const b = r.blockIO;
    if (!b) return [];
    const bfq = read('blkio.weight') === undefined && read('blkio.bfq.weight') !== undefined;
    const weightFile = bfq ? 'blkio.bfq.weight' : 'blkio.weight';
    const w: Write[] = [];
    if (b.weight) w.push({ field: `${F}.weight`, file: weightFile, value: String(b.weight) });
    if (b.leafWeight) w.push({ field: `${F}.leafWeight`, file: 'blkio.leaf_weight', value: String(b.leafWeight) });
    for (const [i, d] of (b.weightDevice ?? []).entries()) {
      if (d.weight)
        w.push({
          field: `${F}.weightDevice[${i}]`,
          file: `${weightFile}_device`,
          value: `${d.major}:${d.minor} ${d.weight}`,
        });
      if (d.leafWeight)
        w.push({
          field: `${F}.weightDevice[${i}]`,
          file: 'blkio.leaf_weight_device',
          value: `${d.major}:${d.minor} ${d.leafWeight}`,
        });
    }
    for (const [key, file] of THROTTLES) {
      for (const [i, d] of ((b[key] as ThrottleDevice[] | undefined) ?? []).entries()) {
        w.push({ field: `${F}.${key}[${i}]`, file, value: `${d.major}:${d.minor} ${d.rate ?? 0}` });
      }
    }
    return w;
  },
  stats(read, out) {
    // runc reads the throttle files (always there), and the BFQ/CFQ ones when present.
    const pick = (a: string, b: string) => entries(read(a) ?? read(b));
    const s: Record<string, unknown> = {};
    const put = (k: string, v: Array<Record<string, unknown>>) => v.length && (s[k] = v);
    put(
      'ioServiceBytesRecursive',
      pick('blkio.io_service_bytes_recursive', 'blkio.throttle.io_service_bytes_recursive'),
    );
    put('ioServicedRecursive', pick('blkio.io_serviced_recursive', 'blkio.throttle.io_serviced_recursive'));
    put('ioQueueRecursive', entries(read('blkio.io_queued_recursive')));
    put('ioServiceTimeRecursive', entries(read('blkio.io_service_time_recursive')));
    put('ioWaitTimeRecursive', entries(read('blkio.io_wait_time_recursive')));
    put('ioMergedRecursive', entries(read('blkio.io_merged_recursive')));
    put('ioTimeRecursive', entries(read('blkio.time_recursive')));
    put('sectorsRecursive', entries(read('blkio.sectors_recursive')));
    out.blkio = s;
  },
};
