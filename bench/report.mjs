// Turns bench/run.sh's hyperfine exports into one markdown table: the
// median of each runtime per figure and the ratios that matter (carton and
// carton (Node) against runc; crun against runc when both run through the
// same wrapper). Medians, because the machine may be shared.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { execFileSync } from 'node:child_process';

const [dir, ...names] = process.argv.slice(2);
const ms = (r) => (r ? `${(r.median * 1000).toFixed(1)} ms` : 'n/a');
const ratio = (a, b) => (a && b ? `**${(a.median / b.median).toFixed(2)}×**` : 'n/a');
const version = (bin) => {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8' }).match(/\d+\.\d+(\.\d+)?/)[0];
  } catch {
    return '?';
  }
};

const wrapped = names.includes('crun-w');
const head = ['what', 'carton', 'carton (Node)', 'runc', 'carton / runc', 'carton (Node) / runc'];
if (wrapped) head.push('crun (wrapped)', 'runc (wrapped)', 'crun / runc, wrapped');
const rows = [];
for (const f of readdirSync(dir)
  .filter((x) => x.endsWith('.json'))
  .sort()) {
  const key = f.slice(0, -5);
  if (!existsSync(`${dir}/${key}.label`)) continue;
  const by = {};
  for (const r of JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')).results) by[r.command] = r;
  const row = [
    readFileSync(`${dir}/${key}.label`, 'utf8').trim(),
    ms(by.carton),
    ms(by['carton-node']),
    ms(by.runc),
    ratio(by.carton, by.runc),
    ratio(by['carton-node'], by.runc),
  ];
  if (wrapped) row.push(ms(by['crun-w']), ms(by['runc-w']), ratio(by['crun-w'], by['runc-w']));
  rows.push(`| ${row.join(' | ')} |`);
}
console.log(
  `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length}× ${cpus()[0].model.trim()}, Debian 12; runc ${version('runc')}, crun ${wrapped ? version('crun') : 'absent'}; hyperfine medians; NODE_EXTRA_CA_CERTS unset.\n`,
);
console.log(`| ${head.join(' | ')} |`);
console.log(`|${head.map(() => '---').join('|')}|`);
console.log(rows.join('\n'));
if (existsSync(`${dir}/rss.md`)) console.log('\n' + readFileSync(`${dir}/rss.md`, 'utf8').trimEnd());
