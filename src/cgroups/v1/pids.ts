// pids.max: the same file on v1 and v2. -1 is "max"; 0 is a real limit
// (runtime-spec 1.3.0: "0 is a valid limit value ... SHOULD be treated as such").
import { num, setFields, type Controller } from '../driver';
import type { Write } from '../types';

export const pids: Controller = {
  name: 'pids',
  fields: (r) => setFields('pids', r.pids),
  writes(r) {
    const l = r.pids?.limit;
    if (l === undefined || l === null) return [];
    const w: Write = { field: 'linux.resources.pids.limit', file: 'pids.max', value: l < 0 ? 'max' : String(l) };
    return [w];
  },
  stats(read, out) {
    const p: Record<string, unknown> = {};
    const cur = num(read('pids.current'));
    const max = read('pids.max')?.trim() === 'max' ? 0 : num(read('pids.max'));
    if (cur) p.current = cur;
    if (max) p.limit = max;
    out.pids = p;
  },
};
