// v1 hugetlb: hugetlb.<size>.limit_in_bytes per page size ("2MB"), and the
// reservation limit alongside it when the kernel has one, as runc does.
import { num, setFields, type Controller } from '../driver';
import type { Write } from '../types';

export const hugetlb: Controller = {
  name: 'hugetlb',
  fields: (r) => setFields('hugepageLimits', r.hugepageLimits),
  writes(r) {
    const w: Write[] = [];
    for (const [i, h] of (r.hugepageLimits ?? []).entries()) {
      const field = `linux.resources.hugepageLimits[${i}] (${h.pageSize})`;
      w.push({ field, file: `hugetlb.${h.pageSize}.limit_in_bytes`, value: String(h.limit) });
      w.push({ field, file: `hugetlb.${h.pageSize}.rsvd.limit_in_bytes`, value: String(h.limit), optional: true });
    }
    return w;
  },
  stats(read, out) {
    const sizes = new Set<string>();
    for (const f of (read('.') ?? '').split('\n')) {
      const m = /^hugetlb\.([0-9]+[KMG]B)\.limit_in_bytes$/.exec(f);
      if (m) sizes.add(m[1]);
    }
    const h: Record<string, unknown> = {};
    for (const s of sizes) {
      const e: Record<string, unknown> = {};
      const u = num(read(`hugetlb.${s}.usage_in_bytes`));
      const m = num(read(`hugetlb.${s}.max_usage_in_bytes`));
      if (u) e.usage = u;
      if (m) e.max = m;
      e.failcnt = num(read(`hugetlb.${s}.failcnt`));
      h[s] = e;
    }
    out.hugetlb = h;
  },
};
