// `npm run test:unit`: every unit test file in one process. tap starts a
// process (and its TypeScript loader, ~4 s here) per test file; the unit
// files are pure TypeScript and share no state, so one process runs them
// all in a fraction of the time. `npm test` still runs each file on its own.
import * as fs from 'fs';
import * as path from 'path';

for (const f of fs
  .readdirSync(__dirname)
  .filter((n) => n.endsWith('.test.ts'))
  .sort()) {
  require(path.join(__dirname, f));
}
