// Turns the hyperfine JSON exports of bench/run.sh into one markdown table.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const [dir, memCarton, memRunc] = process.argv.slice(2);
const rows = [];
for (const f of ['startup', 'lifecycle', 'state', 'cgroups', 'exec', 'pause']) {
  let res;
  try {
    res = JSON.parse(readFileSync(`${dir}/${f}.json`, 'utf8')).results;
  } catch {
    continue;
  }
  for (let i = 0; i < res.length; i += 2) {
    const c = res[i];
    const r = res[i + 1];
    const what = c.command.replace(/^carton /, '');
    rows.push(`| ${what} | ${(c.mean * 1000).toFixed(1)} ± ${(c.stddev * 1000).toFixed(1)} ms | ${(r.mean * 1000).toFixed(1)} ± ${(r.stddev * 1000).toFixed(1)} ms | **${(c.mean / r.mean).toFixed(2)}×** |`);
  }
}
const mib = (k) => (Number(k) / 1024).toFixed(2);
rows.push(`| resident memory of a created container | ${mib(memCarton)} MiB | ${mib(memRunc)} MiB | **${(Number(memCarton) / Number(memRunc)).toFixed(2)}×** |`);
console.log(`Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length}× ${cpus()[0].model.trim()}, Debian 12, runc ${'1.1.5'}; NODE_EXTRA_CA_CERTS unset.\n`);
console.log('| what | carton | runc | carton / runc |');
console.log('|---|---|---|---|');
console.log(rows.join('\n'));
