// yargs imports two functions from node:assert; loading the whole module
// costs ~2 ms of start-up, so the bundle gets these instead.
'use strict';
function fail(message) {
  const e = new Error(message || 'assertion failed');
  e.code = 'ERR_ASSERTION';
  throw e;
}
module.exports = {
  strictEqual(a, b, m) {
    if (!Object.is(a, b)) fail(m);
  },
  notStrictEqual(a, b, m) {
    if (Object.is(a, b)) fail(m);
  },
};
