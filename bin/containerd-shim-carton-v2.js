#!/usr/bin/env node
// containerd-shim-carton-v2's Node side (the relay, bin/containerd-shim-carton-v2,
// execs it when no serving shim can answer): loads dist/shim.js through vm.Script with the
// V8 code cache made at build time (scripts/bundle.mjs), as bin/carton does,
// since containerd runs `start` once per container. Without a usable cache
// it is a plain load.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const Module = require('module');

const file = path.join(__dirname, '..', 'dist', 'shim.js');
let cachedData;
try {
  cachedData = fs.readFileSync(file + '.cache');
} catch {
  cachedData = undefined;
}
const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
if (process.env.CARTON_WRITE_CODE_CACHE) {
  // Written at exit, so the functions compiled by the run are in the cache.
  process.on('exit', () => fs.writeFileSync(file + '.cache', script.createCachedData()));
}
const m = new Module(file, module);
m.filename = file;
m.paths = Module._nodeModulePaths(path.dirname(file));
script.runInThisContext()(m.exports, m.require.bind(m), m, file, path.dirname(file));
