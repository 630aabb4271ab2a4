// v1 hugetlb: hugetlb.<size>.limit_in_bytes per page size ("2MB"), and the
// reservation limit alongside it when the kernel has one, as runc does.
import { num, setFields, type Controller } from '../driver';
import type { Resources, Write } from '../types';

/**
 * hugetlb.<size>.<limit> per page size, and the reservation limit beside it
 * (hugetlb.<size>.rsvd.<limit>) where the kernel has one, as runc writes them.
 * v1 names the limit file limit_in_bytes, v2 max.
 */
export function hugepageWrites(r: Resources, limit: string): Write[] {
  const w: Write[] = [];
  for (const [i, h] of (r.hugepageLimits ?? []).entries()) {
    const field = `linux.resources.hugepageLimits[${i}] (${h.pageSize})`;
    w.push({ field, file: `hugetlb.${h.pageSize}.${limit}`, value: String(h.limit) });
    w.push({ field, file: `hugetlb.${h.pageSize}.rsvd.${limit}`, value: String(h.limit), optional: true });
  }
  return w;
}

export const hugetlb: Controller = {
  name: 'hugetlb',
  fields: (r) => setFields('hugepageLimits', r.hugepageLimits),
  writes: (r) => hugepageWrites(r, 'limit_in_bytes'),
  stats(read, out) {
    const sizes = new Set<string>();
    for (const f of (read('.') ?? '').split('\n')) {
      const m = /^hugetlb\.([0-9]+[KMG]B)\.limit_in_bytes$/.exec(f);
      if (m?.[1]) sizes.add(m[1]);
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
