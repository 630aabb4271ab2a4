// The loader behind both entry points (bin/carton, bin/containerd-shim-carton-v2.js):
// runs a dist/ bundle, and dist/validators.js when the bundle first asks for
// it, through vm.Script with the V8 code caches made at build time
// (scripts/bundle.mjs), which saves parsing and compiling them on every
// start (containerd runs the shim's `start` once per container). Without a
// usable cache it is a plain load. With CARTON_WRITE_CODE_CACHE set, each
// loaded file's cache is written at exit, so the functions compiled by the
// run are in it: that is how the build warms them.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const Module = require('module');

const dist = path.join(__dirname, '..', 'dist');
const scripts = [];
const loaded = new Map();

function load(file, parent) {
  let cachedData;
  try {
    cachedData = fs.readFileSync(file + '.cache');
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
  const m = new Module(file, parent);
  m.filename = file;
  m.paths = Module._nodeModulePaths(path.dirname(file));
  const req = (id) => (id === './validators.js' ? loadOnce(path.join(dist, 'validators.js'), m) : m.require(id));
  req.resolve = (id) => Module._resolveFilename(id, m);
  scripts.push([file, script]);
  script.runInThisContext()(m.exports, req, m, file, path.dirname(file));
  return m.exports;
}

function loadOnce(file, parent) {
  if (!loaded.has(file)) loaded.set(file, load(file, parent));
  return loaded.get(file);
}

// Runs dist/<bundle> as a child module of `parent` (the entry point's module).
module.exports = function run(bundle, parent) {
  if (process.env.CARTON_WRITE_CODE_CACHE) {
    process.on('exit', () => {
      for (const [file, script] of scripts) fs.writeFileSync(file + '.cache', script.createCachedData());
    });
  }
  return loadOnce(path.join(dist, bundle), parent);
};
