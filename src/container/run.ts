// `run` = create + start. Detached it returns at once; in the foreground
// carton stays the parent: it forwards signals, relays the terminal, reaps
// the container's init (a direct child thanks to CLONE_PARENT in
// carton-init), deletes the container and exits with its status.
import { phase } from '../log';
import { addon } from '../native';
import type { Store } from '../state/store';
import { create, type CreateOptions } from './create';
import { destroy } from './delete';
import { foreground } from './foreground';
import { start } from './start';

export interface RunOptions extends CreateOptions {
  noSubreaper: boolean;
  /** keep the stopped container instead of deleting it (runc run --keep) */
  keep: boolean;
}

export async function run(store: Store, o: RunOptions): Promise<number> {
  if (o.detach) {
    const { state: s } = create(store, o);
    try {
      start(store, o.id);
    } catch (e) {
      destroy(store, s);
      throw e;
    }
    return 0;
  }
  const a = addon();
  if (!o.noSubreaper) a.setSubreaper(true);
  const { state: s, console: consoleSock } = create(store, o);
  try {
    return await foreground(s.pid, consoleSock, () => {
      start(store, o.id);
      phase('started');
    });
  } finally {
    if (!o.keep) {
      destroy(store, store.read(o.id));
      phase('deleted');
    }
  }
}
