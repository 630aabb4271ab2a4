import type { Argv } from 'yargs';
import type { Command } from './types';
import { positionals, store } from './util';

/** runc's checkpoint flags (go-runc and libpod pass these). */
export const criuFlags = (y: Argv): Argv =>
  y
    .option('image-path', { type: 'string', describe: 'path for saving criu image files' })
    .option('work-path', { type: 'string', describe: 'path for saving work files and logs' })
    .option('tcp-established', { type: 'boolean', describe: 'allow open tcp connections' })
    .option('ext-unix-sk', { type: 'boolean', describe: 'allow external unix sockets' })
    .option('shell-job', { type: 'boolean', describe: 'allow shell jobs' })
    .option('lazy-pages', { type: 'boolean', describe: 'use userfaultfd to lazily restore memory pages' })
    .option('file-locks', { type: 'boolean', describe: 'handle file locks, for safety' })
    .option('manage-cgroups-mode', { type: 'string', describe: "cgroups mode: 'soft' (default), 'full' and 'strict'" })
    .option('empty-ns', { type: 'string', describe: "create a namespace, but don't restore its properties" })
    .option('auto-dedup', { type: 'boolean', describe: 'enable auto deduplication of memory images' })
    .option('lsm-profile', { type: 'string', hidden: true, describe: 'podman: LSM profile to restore with' })
    .option('lsm-mount-context', { type: 'string', hidden: true, describe: 'podman: LSM mount context' });

export const command: Command = {
  command: 'checkpoint',
  describe: 'checkpoint a running container',
  builder: (y) =>
    criuFlags(y)
      .option('parent-path', { type: 'string', describe: 'path for previous criu image files in pre-dump' })
      .option('leave-running', { type: 'boolean', describe: 'leave the process running after checkpointing' })
      .option('status-fd', { type: 'number', describe: 'criu writes \\0 to this FD once lazy-pages is ready' })
      .option('page-server', { type: 'string', describe: 'ADDRESS:PORT of the page server' })
      .option('pre-dump', {
        type: 'boolean',
        describe: "dump container's memory information only, leave the container running after this",
      }),
  run(a): number {
    const [id] = positionals(a, 'checkpoint', 1);
    // The container must exist (and is locked) before anything else is said about it.
    const st = store(a);
    const lock = st.lock(id, false);
    try {
      const { refuse } = require('../container/criu') as typeof import('../container/criu');
      return refuse('checkpoint', (a.criu as string | undefined) ?? 'criu');
    } finally {
      lock.release();
    }
  },
};
