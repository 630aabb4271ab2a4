import type { Command } from './types';
import { positionals, store } from './util';

export const command: Command = {
  command: 'events',
  describe: 'display container events such as OOM notifications, cpu, memory, and IO usage statistics',
  builder: (y) =>
    y
      .option('interval', { type: 'string', default: '5s', describe: 'set the stats collection interval' })
      .option('stats', { type: 'boolean', default: false, describe: "display the container's stats then exit" }),
  run(a) {
    const [id] = positionals(a, 'events', 1);
    const ev = require('../container/events') as typeof import('../container/events');
    const interval = ev.parseDuration(String(a.interval));
    if (a.stats) {
      ev.statsOnce(store(a), id);
      return 0;
    }
    return ev.stream(store(a), id, interval);
  },
};
