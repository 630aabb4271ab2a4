// v2 hugetlb: hugetlb.<size>.max (and .rsvd.max where the kernel has it).
import { num, setFields, type Controller } from '../driver';
import { hugepageWrites } from '../v1/hugetlb';

export const hugetlb: Controller = {
  name: 'hugetlb',
  fields: (r) => setFields('hugepageLimits', r.hugepageLimits),
  writes: (r) => hugepageWrites(r, 'max'),
  stats(read, out) {
    const h: Record<string, unknown> = {};
    for (const f of (read('.') ?? '').split('\n')) {
      const m = /^hugetlb\.([0-9]+[KMG]B)\.max$/.exec(f);
      if (!m) continue;
      const e: Record<string, unknown> = {};
      const u = num(read(`hugetlb.${m[1]}.current`));
      if (u) e.usage = u;
      e.failcnt = Number(/max (\d+)/.exec(read(`hugetlb.${m[1]}.events`) ?? '')?.[1] ?? 0);
      h[m[1]] = e;
    }
    out.hugetlb = h;
  },
};
