// `update`: runc's flags, or -r/--resources FILE|- with a linux.resources
// JSON object (then the other flags are ignored, as runc documents).
import * as fs from 'fs';
import { CartonError, UsageError, errText } from '../errors';
import type { Resources } from '../cgroups/types';
import type { Command } from './types';
import { positionals, store } from './util';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** docker/go-units RAMInBytes: "512m", "1.5g", "1024", binary multiples; -1 is unlimited. */
export function ramInBytes(flag: string, s: string): number {
  if (s === '-1') return -1;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?$/i.exec(s.trim());
  if (!m) throw new CartonError(`invalid value for ${flag}: invalid size: '${s}'`, { kind: 'usage' });
  const [, num = '', unit = ''] = m;
  return Math.floor(Number(num) * (UNITS[unit.toLowerCase()] ?? 1));
}

function int(flag: string, s: unknown, unsigned: boolean): number {
  const n = Number(s);
  if (String(s).trim() === '' || !Number.isInteger(n) || (unsigned && n < 0))
    throw new CartonError(`invalid value for ${flag}: ${JSON.stringify(String(s))}`, { kind: 'usage' });
  return n;
}

function fromFlags(a: Record<string, unknown>): Resources {
  const r: Resources = {};
  const has = (k: string) => a[k] !== undefined;
  const memory: NonNullable<Resources['memory']> = {};
  for (const [flag, key] of [
    ['memory', 'limit'],
    ['memoryReservation', 'reservation'],
    ['memorySwap', 'swap'],
    ['kernelMemory', 'kernel'],
    ['kernelMemoryTcp', 'kernelTCP'],
  ] as const) {
    if (has(flag) && a[flag] !== '')
      memory[key] = ramInBytes(`--${flag.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`, String(a[flag]));
  }
  if (Object.keys(memory).length) r.memory = memory;
  const cpu: NonNullable<Resources['cpu']> = {};
  if (has('cpuShare')) cpu.shares = int('--cpu-share', a.cpuShare, true);
  if (has('cpuPeriod')) cpu.period = int('--cpu-period', a.cpuPeriod, true);
  if (has('cpuQuota')) cpu.quota = int('--cpu-quota', a.cpuQuota, false);
  if (has('cpuRtPeriod')) cpu.realtimePeriod = int('--cpu-rt-period', a.cpuRtPeriod, true);
  if (has('cpuRtRuntime')) cpu.realtimeRuntime = int('--cpu-rt-runtime', a.cpuRtRuntime, false);
  if (has('cpusetCpus') && a.cpusetCpus !== '') cpu.cpus = String(a.cpusetCpus);
  if (has('cpusetMems') && a.cpusetMems !== '') cpu.mems = String(a.cpusetMems);
  if (Object.keys(cpu).length) r.cpu = cpu;
  if (has('blkioWeight')) {
    const w = int('--blkio-weight', a.blkioWeight, true);
    if (w !== 0) r.blockIO = { weight: w };
  }
  if (has('pidsLimit')) r.pids = { limit: int('--pids-limit', a.pidsLimit, false) };
  return r;
}

/** Intel RDT is not supported by carton's create, so no container can have it; say which part is missing. */
function checkRdt(a: Record<string, unknown>): void {
  const mounted = fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(' - resctrl ');
  if (a.l3CacheSchema !== undefined)
    throw new CartonError(
      mounted
        ? '--l3-cache-schema: the container has no linux.intelRdt'
        : 'Intel RDT/CAT: l3 cache schema is not enabled',
      { kind: 'host-lacks' },
    );
  if (a.memBwSchema !== undefined)
    throw new CartonError(
      mounted
        ? '--mem-bw-schema: the container has no linux.intelRdt'
        : 'Intel RDT/MBA: memory bandwidth schema is not enabled',
      { kind: 'host-lacks' },
    );
}

export const command: Command = {
  command: 'update',
  describe: 'update container resource constraints',
  builder: (y) =>
    y
      .option('resources', {
        alias: 'r',
        type: 'string',
        describe: "path to the file containing the resources to update or '-' to read from the standard input",
      })
      .option('blkio-weight', { type: 'string', describe: 'Specifies per cgroup weight, range is from 10 to 1000' })
      .option('cpu-period', {
        type: 'string',
        describe: 'CPU CFS period to be used for hardcapping (in usecs). 0 to use system default',
      })
      .option('cpu-quota', {
        type: 'string',
        describe: 'CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period',
      })
      .option('cpu-share', {
        alias: 'cpu-shares',
        type: 'string',
        describe: 'CPU shares (relative weight vs. other containers)',
      })
      .option('cpu-rt-period', {
        type: 'string',
        describe: 'CPU realtime period to be used for hardcapping (in usecs). 0 to use system default',
      })
      .option('cpu-rt-runtime', {
        type: 'string',
        describe: 'CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period',
      })
      .option('cpuset-cpus', { type: 'string', describe: 'CPU(s) to use' })
      .option('cpuset-mems', { type: 'string', describe: 'Memory node(s) to use' })
      .option('kernel-memory', { type: 'string', describe: '(obsoleted; do not use)' })
      .option('kernel-memory-tcp', { type: 'string', describe: '(obsoleted; do not use)' })
      .option('memory', { type: 'string', describe: 'Memory limit (in bytes)' })
      .option('memory-reservation', { type: 'string', describe: 'Memory reservation or soft_limit (in bytes)' })
      .option('memory-swap', {
        type: 'string',
        describe: "Total memory usage (memory + swap); set '-1' to enable unlimited swap",
      })
      .option('pids-limit', { type: 'string', describe: 'Maximum number of pids allowed in the container' })
      .option('l3-cache-schema', { type: 'string', describe: 'The string of Intel RDT/CAT L3 cache schema' })
      .option('mem-bw-schema', { type: 'string', describe: 'The string of Intel RDT/MBA memory bandwidth schema' }),
  run(a) {
    const [id] = positionals(a, 'update', 1);
    let r: Resources;
    if (a.resources !== undefined) {
      // yargs gives an array when the flag is repeated.
      if (typeof a.resources !== 'string') throw new UsageError('--resources given more than once');
      const src = a.resources;
      const name = src === '-' ? 'resources (stdin)' : src;
      let text: string;
      try {
        text = fs.readFileSync(src === '-' ? 0 : src, 'utf8');
      } catch (e) {
        throw new CartonError(`open ${src}: ${errText(e)}`);
      }
      const v = require('../spec/validate') as typeof import('../spec/validate');
      const obj = v.parseConfig(text, name);
      v.validateResources(obj, name);
      r = obj as Resources;
    } else {
      checkRdt(a);
      r = fromFlags(a);
    }
    if (!id) throw new UsageError('"update" requires exactly 1 argument(s)');
    (require('../container/update') as typeof import('../container/update')).update(store(a), id, r);
    return 0;
  },
};
