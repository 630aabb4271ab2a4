#!/usr/bin/env node
// containerd-shim-carton-v2's Node side (the relay, bin/containerd-shim-carton-v2,
// execs it when no serving shim can answer; the shim's lifecycle workers run
// bin/containerd-shim-carton-worker.js): dist/shim.js, loaded with its V8 code
// cache (bin/load.js), as bin/carton is, since containerd runs `start` once
// per container.
'use strict';
require('./load.js')('shim.js', module);
