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
      const size = /^hugetlb\.([0-9]+[KMG]B)\.max$/.exec(f)?.[1];
      if (!size) continue;
      const e: Record<string, unknown> = {};
      const u = num(read(`hugetlb.${size}.current`));
      if (u) e.usage = u;
      e.failcnt = Number(/max (\d+)/.exec(read(`hugetlb.${size}.events`) ?? '')?.[1] ?? 0);
      h[size] = e;
    }
    out.hugetlb = h;
  },
};
