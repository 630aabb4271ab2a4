// v1 net_prio: one "interface priority" line per entry into net_prio.ifpriomap.
import type { Controller } from '../driver';

export const netPrio: Controller = {
  name: 'net_prio',
  fields: (r) => (r.network?.priorities?.length ? ['linux.resources.network.priorities'] : []),
  writes: (r) =>
    (r.network?.priorities ?? []).map((p, i) => ({
      field: `linux.resources.network.priorities[${i}]`,
      file: 'net_prio.ifpriomap',
      value: `${p.name} ${p.priority}`,
    })),
};
