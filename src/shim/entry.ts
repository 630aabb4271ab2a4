// dist/shim.js's entry (bin/containerd-shim-carton-v2): the transport with
// carton's Task service (loaded only by the serving shim), or, in a worker
// thread the serving shim started, its lifecycle worker (task/lifecycle.ts).
import { isMainThread, workerData } from 'worker_threads';
import { runShim } from './main';
import type { TaskServiceFactory } from './types';

if (!isMainThread && (workerData as { cartonLifecycle?: boolean } | null)?.cartonLifecycle) {
  (require('./task/lifecycle-worker') as typeof import('./task/lifecycle-worker')).serveLifecycle();
} else {
  const factory: TaskServiceFactory = (ctx) => (require('./task') as typeof import('./task')).createTaskService(ctx);
  // argv[1] is the script node runs: this shim's own path, to spawn the serving shim from.
  void runShim(process.argv.slice(2), factory, process.argv[1] ?? process.execPath).then((code) => {
    if (code !== undefined) process.exit(code);
  });
}
