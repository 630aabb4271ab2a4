// The head of bench/all.sh's report: when, on what machine, which versions,
// how long each step took, and the count of targets met (bench/report.mjs).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (f) => (existsSync(f) ? readFileSync(f, 'utf8').trim() : undefined);
const sh = (bin, args, re = /\d+\.\d+(\.\d+)?/) => {
  try {
    const out = execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    return re ? (out.match(re)?.[0] ?? out.trim()) : out.trim();
  } catch {
    return 'absent';
  }
};
const dur = (s) => (s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`);

export function header(dir) {
  const started = read(`${dir}/started`) ?? '?';
  const os = read('/etc/os-release')?.match(/^PRETTY_NAME="?([^"\n]*)/m)?.[1] ?? 'Linux';
  // the revision bench/all.sh saw when it started (or now, for a raw folder without one)
  const [rev, branch, change] = read(`${dir}/rev`)?.split('\n') ?? [
    sh('git', ['-C', repo, 'rev-parse', '--short', 'HEAD'], null),
    sh('git', ['-C', repo, 'rev-parse', '--abbrev-ref', 'HEAD'], null),
    sh('git', ['-C', repo, 'status', '--porcelain', '--untracked-files=no'], null),
  ];
  const dirty = change ? ' (with uncommitted changes)' : '';
  const bun = join(repo, 'node_modules', '@oven', 'bun-linux-x64', 'bin', 'bun');
  const steps = (read(`${dir}/steps.tsv`) ?? '')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'));
  const total = Number(read(`${dir}/seconds`) ?? NaN);
  const estimate = Number(read(`${dir}/estimate`) ?? NaN);
  const lines = [
    `# carton benchmarks, ${started.replace('T', ' ').slice(0, 16)} UTC`,
    '',
    `\`npm run bench\` (bench/all.sh) in one session: ${Number.isFinite(total) ? dur(total) : '?'} in all${Number.isFinite(estimate) ? ` (estimated beforehand: ${dur(estimate)})` : ''}.`,
    '',
    `- Machine: ${cpus()[0]?.model.trim() ?? '?'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os}, kernel ${sh('uname', ['-r'], null)}.`,
    `- Load average (1/5/15 min) before: ${read(`${dir}/load-before`) ?? '?'}; after: ${read(`${dir}/load-after`) ?? '?'}.`,
    `- Versions: carton ${rev} (${branch})${dirty}, runc ${sh('runc', ['--version'])}, crun ${sh('crun', ['--version'])}, containerd ${sh('containerd', ['--version'])}, podman ${sh('podman', ['--version'])}, docker ${sh('dockerd', ['--version'])}, Bun ${sh(bun, ['--version'])} (dist/carton), Node ${process.version} (bin/carton), hyperfine ${sh('hyperfine', ['--version'])}.`,
    '- Every figure is a median; ratios are carton / runc (< 1: carton is faster or smaller). NODE_EXTRA_CA_CERTS unset.',
  ];
  if (steps.length) {
    lines.push('', '| step | exit | took | command |', '|---|---|---|---|');
    for (const [name, rc, secs, cmdline] of steps)
      lines.push(
        `| ${name} | ${rc === '0' ? '0' : `**${rc === '124' ? 'timed out' : rc} (FAILED)**`} | ${dur(Number(secs))} | \`${cmdline}\` |`,
      );
  }
  return lines.join('\n');
}

export function targetsSummary(verdicts) {
  const count = (v) => verdicts.filter((x) => x.v === v).length;
  const lines = [
    `## Targets: ${count('met')} met, ${count('missed')} missed, ${count('FAILED')} not measured (failed), of ${verdicts.length}`,
    '',
  ];
  for (const v of verdicts) lines.push(`- ${v.v === 'met' ? 'met' : `**${v.v}**`}: ${v.what}`);
  return lines.join('\n');
}
