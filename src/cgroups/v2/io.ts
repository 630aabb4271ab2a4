// v2 io: the blkio spec fields as io.* files. The weight goes to BFQ's
// io.bfq.weight (same 10-1000 scale) when the kernel has it, else to
// io.weight converted to 1-10000, as runc does. Throttles become io.max.
import { SetupError } from '../../errors';
import { setFields, type Controller } from '../driver';
import { THROTTLES } from '../v1/blkio';
import type { ThrottleDevice, Write } from '../types';

const F = 'linux.resources.blockIO';

/** runc's ConvertBlkIOToIOWeightValue: [10, 1000] onto [1, 10000]. */
export function blkioToIOWeight(w: number): number {
  if (w === 0) return 0;
  return 1 + Math.floor(((w - 10) * 9999) / 990);
}

export const io: Controller = {
  name: 'io',
  fields: (r) => setFields('blockIO', r.blockIO),
  writes(r, read) {
    const b = r.blockIO;
    if (!b) return [];
    if (b.leafWeight || b.weightDevice?.some((d) => d.leafWeight))
      throw new SetupError(`${F}.leafWeight: cgroup v2 io has no leaf weights`, { kind: 'unsupported' });
    const bfq = read('io.bfq.weight') !== undefined;
    const w: Write[] = [];
    if (b.weight)
      w.push(
        bfq
          ? { field: `${F}.weight`, file: 'io.bfq.weight', value: String(b.weight) }
          : { field: `${F}.weight`, file: 'io.weight', value: String(blkioToIOWeight(b.weight)) },
      );
    for (const [i, d] of (b.weightDevice ?? []).entries()) {
      if (!d.weight) continue;
      w.push(
        bfq
          ? { field: `${F}.weightDevice[${i}]`, file: 'io.bfq.weight', value: `${d.major}:${d.minor} ${d.weight}` }
          : {
              field: `${F}.weightDevice[${i}]`,
              file: 'io.weight',
              value: `${d.major}:${d.minor} ${blkioToIOWeight(d.weight)}`,
            },
      );
    }
    for (const [key, , v2key] of THROTTLES) {
      for (const [i, d] of ((b[key] as ThrottleDevice[] | undefined) ?? []).entries()) {
        w.push({
          field: `${F}.${key}[${i}]`,
          file: 'io.max',
          value: `${d.major}:${d.minor} ${v2key}=${d.rate ? d.rate : 'max'}`,
        });
      }
    }
    return w;
  },
  stats(read, out) {
    // io.stat: "maj:min rbytes=.. wbytes=.. rios=.. wios=.." -> runc's Read/Write entries
    const bytes: Array<Record<string, unknown>> = [];
    const ios: Array<Record<string, unknown>> = [];
    for (const line of (read('io.stat') ?? '').split('\n')) {
      const f = line.trim().split(/\s+/);
      const [dev] = f;
      if (dev === undefined || f.length < 2) continue;
      const [major, minor] = dev.split(':').map(Number);
      const kv = Object.fromEntries(
        f.slice(1).map((x): [string, number] => {
          const [k = '', val] = x.split('=');
          return [k, Number(val)];
        }),
      );
      const e = (op: string, value: number) => ({
        ...(major ? { major } : {}),
        ...(minor ? { minor } : {}),
        op,
        ...(value ? { value } : {}),
      });
      bytes.push(e('Read', kv.rbytes ?? 0), e('Write', kv.wbytes ?? 0));
      ios.push(e('Read', kv.rios ?? 0), e('Write', kv.wios ?? 0));
    }
    const s: Record<string, unknown> = {};
    if (bytes.length) s.ioServiceBytesRecursive = bytes;
    if (ios.length) s.ioServicedRecursive = ios;
    out.blkio = s;
  },
};
