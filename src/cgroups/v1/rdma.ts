// rdma.max: the same file and syntax on v1 and v2, one line per device.
import type { Controller } from '../driver';
import type { Write } from '../types';

export const rdma: Controller = {
  name: 'rdma',
  fields: (r) => Object.keys(r.rdma ?? {}).map((d) => `linux.resources.rdma.${d}`),
  writes(r) {
    const w: Write[] = [];
    for (const [dev, l] of Object.entries(r.rdma ?? {})) {
      const parts = [dev];
      if (l.hcaHandles !== undefined) parts.push(`hca_handle=${l.hcaHandles}`);
      if (l.hcaObjects !== undefined) parts.push(`hca_object=${l.hcaObjects}`);
      w.push({ field: `linux.resources.rdma.${dev}`, file: 'rdma.max', value: parts.join(' ') });
    }
    return w;
  },
};
