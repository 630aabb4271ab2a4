// dist/shim.js's entry (bin/containerd-shim-carton-v2): the transport with
// carton's Task service (loaded only by the serving shim). The serving
// shim's lifecycle workers have their own bundle (worker-entry.ts).
import { runShim } from './main';
import type { TaskServiceFactory } from './types';

const factory: TaskServiceFactory = (ctx) => (require('./task') as typeof import('./task')).createTaskService(ctx);
// argv[1] is the script node runs: this shim's own path, to spawn the serving shim from.
void runShim(process.argv.slice(2), factory, process.argv[1] ?? process.execPath).then((code) => {
  if (code !== undefined) process.exit(code);
});
