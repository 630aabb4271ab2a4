// `containerd-shim-carton-v2 ... delete`: containerd runs it when a shim
// died with tasks on it (or could not be reached after a restart). The
// container is force-deleted through carton's library, the bundle's rootfs
// unmounted, and the DeleteResponse written to stdout with exit status 137,
// as the runc shim reports a task it had to kill.
import * as path from 'path';
import { del } from '../container/delete';
import { Store } from '../state/store';
import type { ShimFlags } from './flags';
import { STATE_ROOT } from './task';
import { unmountAll } from './task/mounts';
import { encode } from './ttrpc/proto';

export { STATE_ROOT };

/** `bundle`: containerd's -bundle, or the directory it ran the shim in. */
export function deleteShim(f: ShimFlags, bundle: string, warn: (line: string) => void): Buffer {
  const store = new Store(path.join(STATE_ROOT, f.namespace));
  let pid = 0;
  try {
    pid = store.read(f.id).pid;
  } catch {
    // never created, or already gone
  }
  try {
    del(store, f.id, true);
  } catch (e) {
    warn(`failed to remove carton container: ${(e as Error).message}`);
  }
  try {
    unmountAll(path.join(bundle, 'rootfs'));
  } catch (e) {
    warn(`failed to cleanup rootfs mount: ${(e as Error).message}`);
  }
  const now = Date.now();
  return encode('containerd.task.v2.DeleteResponse', {
    pid,
    exitStatus: 128 + 9,
    exitedAt: { seconds: Math.floor(now / 1000), nanos: (now % 1000) * 1e6 },
  });
}
