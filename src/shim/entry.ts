// dist/shim.js's entry (bin/containerd-shim-carton-v2): the transport with
// carton's Task service.
import { runShim } from './main';
import { createTaskService } from './task';

void runShim(process.argv.slice(2), createTaskService, process.argv[1]).then((code) => {
  if (code !== undefined) process.exit(code);
});
