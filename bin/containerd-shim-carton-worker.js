// A lifecycle worker thread of the serving shim (src/shim/task/lifecycle.ts
// starts it; src/shim/worker-entry.ts): dist/shim-worker.js, through the
// same loader as the shim itself.
'use strict';
require('./load.js')('shim-worker.js', module);
