// v1 cpuset: cpus and mems (a new v1 cpuset directory starts empty; the
// manager copies the parent's values into each directory it creates).
import { num, parseList, setFields, type Controller } from '../driver';
import type { Write } from '../types';

export const cpuset: Controller = {
  name: 'cpuset',
  fields: (r) => setFields('cpu', r.cpu).filter((f) => f.endsWith('.cpus') || f.endsWith('.mems')),
  writes(r) {
    const w: Write[] = [];
    if (r.cpu?.cpus) w.push({ field: 'linux.resources.cpu.cpus', file: 'cpuset.cpus', value: r.cpu.cpus });
    if (r.cpu?.mems) w.push({ field: 'linux.resources.cpu.mems', file: 'cpuset.mems', value: r.cpu.mems });
    return w;
  },
  stats(read, out) {
    const n = (f: string) => num(read(`cpuset.${f}`));
    const s: Record<string, unknown> = {};
    const cpus = parseList(read('cpuset.cpus'));
    if (cpus.length) s.cpus = cpus;
    s.cpu_exclusive = n('cpu_exclusive');
    const mems = parseList(read('cpuset.mems'));
    if (mems.length) s.mems = mems;
    for (const k of [
      'mem_hardwall',
      'mem_exclusive',
      'memory_migrate',
      'memory_spread_page',
      'memory_spread_slab',
      'memory_pressure',
      'sched_load_balance',
      'sched_relax_domain_level',
    ])
      s[k] = n(k);
    out.cpuset = s;
  },
};
