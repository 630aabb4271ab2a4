// pids.max: the same file on v1 and v2. Any limit <= 0 is "max", as in runc
// 1.1.5 and crun. runtime-spec 1.3.0 says 0 SHOULD be a real limit, but the
// engines on this host send 0 to mean "unlimited" (podman 4.3 turns
// --pids-limit -1 into 0, CRI-O uses 0 for "unset"): taken literally, every
// fork in their containers fails. (`update --pids-limit 0` changes nothing,
// as in runc 1.1.5: src/container/update.ts.)
import { num, setFields, type Controller } from '../driver';
import type { Write } from '../types';

export const pids: Controller = {
  name: 'pids',
  fields: (r) => setFields('pids', r.pids),
  writes(r) {
    const l = r.pids?.limit;
    if (l === undefined || l === null) return [];
    const w: Write = { field: 'linux.resources.pids.limit', file: 'pids.max', value: l <= 0 ? 'max' : String(l) };
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
