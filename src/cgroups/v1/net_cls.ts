// v1 net_cls: the class id the container's packets are tagged with.
import type { Controller } from '../driver';

export const netCls: Controller = {
  name: 'net_cls',
  fields: (r) => (r.network?.classID !== undefined ? ['linux.resources.network.classID'] : []),
  writes: (r) =>
    r.network?.classID !== undefined
      ? [{ field: 'linux.resources.network.classID', file: 'net_cls.classid', value: String(r.network.classID) }]
      : [],
};
