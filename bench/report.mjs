// The markdown report of bench/all.sh (and of each bench script run alone):
//   node bench/report.mjs DIR                 every section, from DIR (bench/all.sh's raw data)
//   node bench/report.mjs --only run DIR      bench/run.sh's figures (DIR: its --out)
//   node bench/report.mjs --only extended F   bench/extended.sh's (F: its --out JSON)
//   node bench/report.mjs --only engines DIR  bench/engines.sh's (DIR: its --out)
// Medians throughout; every figure the issues set a target for is printed
// beside its threshold with "met" or "missed", and anything that failed is
// printed as FAILED with its error, never left out.
import { existsSync, readFileSync } from 'node:fs';
import { header, targetsSummary } from './report-head.mjs';

const NAMES = {
  carton: 'carton',
  'carton-node': 'carton (Node)',
  runc: 'runc',
  'crun-w': 'crun (wrapped)',
  'runc-w': 'runc (wrapped)',
};
const RTS = Object.keys(NAMES);
const read = (f) => (existsSync(f) ? readFileSync(f, 'utf8').trim() : undefined);
const json = (f) => (existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : undefined);
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fixed = (x, d) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN);
const rx = (r) => (Number.isFinite(r) ? `**${r.toFixed(2)}×**` : 'n/a');
// an error line for a cell: runc's logrus lines reduced to their msg
const clean = (e, max = 140) =>
  (e.match(/msg="([^"]*)/)?.[1] ?? e).replace(/\|/g, '/').replace(/\s+/g, ' ').slice(0, max);
const tail = (e, max) => (e.length > max ? `…${e.slice(-max)}` : e);
const failed = (why) => `FAILED${why ? `: ${clean(why)}` : ''}`;
// One verdict per target, collected for the summary at the top.
const verdicts = [];
function verdict(what, threshold, value, ok) {
  const v = !Number.isFinite(value) && typeof value !== 'boolean' ? 'FAILED' : ok ? 'met' : 'missed';
  verdicts.push({ what, threshold, v });
  return v === 'met' ? 'met' : `**${v}**`;
}
const table = (head, rows) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join(
    '\n',
  );

// ---- bench/run.sh: the CLI commands
const CLI = [
  ['1-run', 'run /bin/true', 1.0],
  ['2-lifecycle', 'create+start+delete', 1.0],
  ['8-exec', 'exec /bin/true', 1.0],
  ['3-state', 'state', 1.5],
  ['4-list', 'list (2 containers)', 1.5],
  ['5-kill', 'kill (SIGCONT)', 1.5],
  ['6-ps', 'ps --format json', 1.5],
  ['9-pause', 'pause+resume', 1.5],
  ['7-events', 'events --stats', null],
];
function cliSection(dir) {
  const runsSeen = new Set();
  const cell = (key, rt) => {
    const r = json(`${dir}/${key}.${rt}.json`)?.results?.[0];
    if (r) {
      runsSeen.add(r.times.length);
      return { ms: r.median * 1000, text: `${fixed(r.median * 1000, 1)} ms` };
    }
    if (existsSync(`${dir}/${key}.${rt}.fail`)) return { ms: NaN, text: failed(read(`${dir}/${key}.${rt}.fail`)) };
    return { ms: NaN, text: failed('no result (the step did not get this far)') };
  };
  const wrapped = existsSync(`${dir}/1-run.crun-w.json`) || existsSync(`${dir}/1-run.crun-w.fail`);
  const head = [
    'what',
    'carton',
    'carton (Node)',
    'runc',
    'carton / runc',
    'target',
    'verdict',
    'carton (Node) / runc',
  ];
  if (wrapped) head.push('crun (wrapped)', 'runc (wrapped)', 'crun / runc, wrapped');
  const rows = CLI.map(([key, label, thr]) => {
    const c = Object.fromEntries(RTS.map((rt) => [rt, cell(key, rt)]));
    const r = ratio(c.carton.ms, c.runc.ms);
    const row = [label, c.carton.text, c['carton-node'].text, c.runc.text, rx(r)];
    row.push(
      thr === null ? 'none' : `≤ ${thr.toFixed(1)}×`,
      thr === null ? '' : verdict(`${label} ≤ ${thr.toFixed(1)}× runc`, thr, r, r <= thr),
    );
    row.push(rx(ratio(c['carton-node'].ms, c.runc.ms)));
    if (wrapped) row.push(c['crun-w'].text, c['runc-w'].text, rx(ratio(c['crun-w'].ms, c['runc-w'].ms)));
    return row;
  });
  const runs = [...runsSeen].sort((a, b) => a - b).join('/') || '?';
  let out = `### CLI commands (bench/run.sh)\n\nhyperfine medians, ${runs} runs per cell after 2 warm-ups; a target is carton (the shipped executable) against runc.\n\n${table(head, rows)}`;
  // the CLI's own peak resident memory
  const rss = json(`${dir}/rss.json`);
  if (rss) {
    const cmds = ['state', 'list', 'kill', 'create', 'start', 'delete', 'run', 'exec'];
    const have = RTS.filter((rt) => cmds.some((c) => rss[`${rt}/${c}`]));
    const mib = (rt, c) => {
      const xs = rss[`${rt}/${c}`] ?? [];
      const m = median(xs.map((x) => (x === null ? NaN : x / 1024)));
      const bad = xs.filter((x) => x === null).length;
      return {
        v: m,
        text: Number.isFinite(m)
          ? `${m.toFixed(1)}${bad ? ` (${bad} of ${xs.length} runs failed)` : ''}`
          : failed('every run failed'),
      };
    };
    const rrows = cmds.map((c) => [
      c,
      ...have.map((rt) => mib(rt, c).text),
      rx(ratio(mib('carton', c).v, mib('runc', c).v)),
    ]);
    out += `\n\nCLI peak resident memory per command, MiB (ru_maxrss from GNU time, median of 3 runs; the container's own processes are not counted). No target: issue 15 asks for the figure beside runc's.\n\n${table(['command', ...have.map((rt) => NAMES[rt]), 'carton / runc'], rrows)}`;
  } else out += `\n\nCLI peak resident memory: ${failed(read(`${dir}/rss.fail`) ?? 'no rss.json')}`;
  return out;
}

// ---- bench/extended.sh
function extendedSection(file) {
  const all = json(file);
  if (!all) {
    for (const w of [
      '50 concurrent creates ≤ 1.0× runc',
      '50 created containers < 50 MiB resident',
      'created container ≤ 1 MiB',
      'run /bin/true under 512 KiB',
      'list of 1000 ≤ 0.5× runc',
    ])
      verdict(w, null, NaN, false);
    return `### Memory, concurrency, list of 1,000 (bench/extended.sh)\n\n${failed(`no ${file}`)}`;
  }
  const by = (fig, rt) => all.filter((x) => x.fig === fig && x.rt === rt);
  const present = RTS.filter((rt) => all.some((x) => x.rt === rt));
  const conc = (rt) => {
    const xs = by('conc', rt);
    const bad = xs.filter((x) => x.ok !== 50);
    if (!xs.length) return { fail: 'not run' };
    if (bad.length)
      return {
        fail: `${bad.map((x) => x.ok).join(', ')} of 50 created in ${bad.length} of ${xs.length} rounds: ${bad[0].error}`,
      };
    return {
      ms: median(xs.map((x) => x.ms)),
      rss: median(xs.map((x) => x.rssKiB)) / 1024,
      pss: median(xs.map((x) => x.pssKiB)) / 1024,
      reps: xs.length,
    };
  };
  const C = Object.fromEntries(present.map((rt) => [rt, conc(rt)]));
  const cells = (f) => present.map((rt) => (C[rt].fail ? failed(C[rt].fail) : f(C[rt])));
  const reps = C.carton?.reps ?? '?';
  const rows = [];
  const cw = ratio(C.carton?.ms, C.runc?.ms);
  rows.push([
    '50 concurrent creates: wall time',
    ...cells((c) => `${fixed(c.ms, 0)} ms`),
    rx(cw),
    '≤ 1.0× runc',
    verdict('50 concurrent creates ≤ 1.0× runc', 1, cw, cw <= 1),
  ]);
  const cm = C.carton?.rss;
  rows.push([
    '50 created containers: resident memory left (Rss sum)',
    ...cells((c) => `${fixed(c.rss, 1)} MiB`),
    rx(ratio(cm, C.runc?.rss)),
    '< 50 MiB (carton)',
    verdict('50 created containers < 50 MiB resident', 50, cm, cm < 50),
  ]);
  rows.push([
    '50 created containers: Pss sum (shared pages split)',
    ...cells((c) => `${fixed(c.pss, 1)} MiB`),
    rx(ratio(C.carton?.pss, C.runc?.pss)),
    'none',
    '',
  ]);
  const per = cm / 50;
  rows.push([
    'created-state resident memory per container (Rss / 50)',
    ...cells((c) => `${fixed(c.rss / 50, 2)} MiB`),
    rx(ratio(per, C.runc?.rss / 50)),
    '≤ 1 MiB (carton)',
    verdict('created container ≤ 1 MiB', 1, per, per <= 1),
  ]);
  const mem = (rt) => by('memlimit', rt)[0];
  const memText = (m) =>
    !m
      ? failed('not run')
      : m.works512
        ? 'works'
        : `fails (${m.smallest ? `smallest that works: ${m.smallest} KiB` : 'nothing up to 16 MiB works'}; ${tail(clean(m.error ?? '', 400), 90)})`;
  const cartonWorks = mem('carton')?.works512;
  rows.push([
    'run /bin/true under a 512 KiB memory limit',
    ...present.map((rt) => memText(mem(rt))),
    '',
    'works (carton)',
    verdict('run /bin/true under 512 KiB', 'works', mem('carton') ? !!cartonWorks : NaN, !!cartonWorks),
  ]);
  const list = (rt) => by('list', rt)[0];
  const listText = (l) =>
    !l ? failed('not run') : l.skip ? l.skip : l.fail ? failed(l.fail) : `${fixed(l.median * 1000, 1)} ms`;
  const n = all.find((x) => x.fig === 'list' && x.n)?.n ?? 1000;
  const lr = ratio(list('carton')?.median, list('runc')?.median);
  rows.push([
    `list of ${n} (stopped) containers`,
    ...present.map((rt) => listText(list(rt))),
    rx(lr),
    '≤ 0.5× runc',
    verdict(`list of ${n} ≤ 0.5× runc`, 0.5, lr, lr <= 0.5),
  ]);
  const listRuns = list('carton')?.runs ?? '?';
  return `### Memory, concurrency, list of ${n} (bench/extended.sh)\n\n50 concurrent creates: median of ${reps} rounds per runtime (interleaved), wall time from the first create to the last one's exit; memory from /proc/PID/smaps_rollup of each container's process (the runtime's \`state\` pid) after the 50 creates. list: hyperfine medians of ${listRuns} runs; carton (Node) lists carton's root and runc (wrapped) runc's.\n\n${table(['what', ...present.map((rt) => NAMES[rt]), 'carton / runc', 'target', 'verdict'], rows)}`;
}

// ---- bench/engines.sh
function enginesSection(dir) {
  const rows = [];
  const runs = new Set();
  for (const [eng, label] of [
    ['podman', 'podman run --rm /bin/true'],
    ['docker', 'docker run --rm /bin/true'],
  ]) {
    const c = {};
    for (const rt of ['carton', 'runc']) {
      const r = json(`${dir}/${eng}.${rt}.json`)?.results?.[0];
      if (r) runs.add(r.times.length);
      c[rt] = r
        ? { ms: r.median * 1000, text: `${fixed(r.median * 1000, 0)} ms` }
        : { ms: NaN, text: failed(read(`${dir}/${eng}.${rt}.fail`) ?? 'no result (the step did not get this far)') };
    }
    rows.push([label, c.carton.text, c.runc.text, rx(ratio(c.carton.ms, c.runc.ms))]);
  }
  return `### Engines (bench/engines.sh)\n\nhyperfine medians, ${[...runs].join('/') || '?'} runs after 2 warm-ups; each engine on its own temp dirs, carton = dist/carton. No target in issue 15 (what users feel).\n\n${table(['what', 'with carton', 'with runc', 'carton / runc'], rows)}`;
}

// ---- bench/shim.sh
function shimSection(file, log) {
  const s = json(file);
  if (!s) {
    for (const w of ['stall: output gap < 100 ms', 'stall: ctr task ps < 200 ms']) verdict(w, null, NaN, false);
    return `### containerd shims (bench/shim.sh)\n\n${failed(log ?? `no ${file}`)}`;
  }
  const ms = (ns) => ns / s.runs / 1e6;
  const rows = [
    [
      `ctr run --rm /bin/true, per container (${s.runs} runs each, interleaved)`,
      `${fixed(ms(s.totalNs.carton), 0)} ms`,
      `${fixed(ms(s.totalNs.runc), 0)} ms`,
      rx(ratio(s.totalNs.carton, s.totalNs.runc)),
      'none',
      '',
    ],
    [
      `Rss per running container (shims + inits, ${s.running} running)`,
      `${fixed(s.rssKiB.carton / s.running / 1024, 1)} MiB`,
      `${fixed(s.rssKiB.runc / s.running / 1024, 1)} MiB`,
      rx(ratio(s.rssKiB.carton, s.rssKiB.runc)),
      'none',
      '',
    ],
    [`shim processes for ${s.running} containers`, `${s.shims.carton}`, `${s.shims.runc}`, '', '', ''],
  ];
  if (s.stall) {
    const c = s.stall.carton,
      r = s.stall.runc;
    rows.push([
      "largest gap in a terminal container's output while another container's 3 s prestart hook runs (without the hook)",
      `${c.busyGapMs} ms (${c.quietGapMs} ms)`,
      `${r.busyGapMs} ms (${r.quietGapMs} ms)`,
      rx(ratio(c.busyGapMs, r.busyGapMs)),
      '< 100 ms',
      verdict('stall: output gap < 100 ms', 100, c.busyGapMs, c.busyGapMs < 100),
    ]);
    rows.push([
      `slowest ctr task ps A meanwhile, of ${c.busyPsCalls} / ${r.busyPsCalls} calls (without the hook)`,
      `${c.busyPsMs} ms (${c.quietPsMs} ms)`,
      `${r.busyPsMs} ms (${r.quietPsMs} ms)`,
      rx(ratio(c.busyPsMs, r.busyPsMs)),
      '< 200 ms',
      verdict('stall: ctr task ps < 200 ms', 200, c.busyPsMs, c.busyPsMs < 200),
    ]);
  } else rows.push(['stall figures', failed('not run (--no-stall)'), '', '', '< 100 ms / < 200 ms', '']);
  return `### containerd shims (bench/shim.sh)\n\none containerd (1.6's shim v2) on temp dirs, io.containerd.carton.v2 against io.containerd.runc.v2 + runc.\n\n${table(['what', 'carton', 'runc', 'carton / runc', 'target (issue 16)', 'verdict'], rows)}`;
}

// ---- bench/pods.sh
function podsSection(file, log) {
  const all = json(file);
  if (!all) {
    for (const w of [
      'Pss per pod at N = 1 ≤ 1.0× runc',
      'Pss per pod at N = 10 ≤ 0.5× runc',
      'start per pod at N = 1, 10, 30 ≤ 1.0× runc',
    ])
      verdict(`pods: ${w}`, null, NaN, false);
    return `### Pod density through CRI (bench/pods.sh)\n\n${failed(log ?? `no ${file}`)}`;
  }
  const memThr = { 1: 1.0, 10: 0.5 };
  const rows = [];
  for (const n of [...new Set(all.map((x) => x.n))]) {
    const c = all.find((x) => x.n === n && x.rt === 'carton') ?? {};
    const r = all.find((x) => x.n === n && x.rt === 'runc') ?? {};
    const v = (x, k, d, u) =>
      x[k] === null || x[k] === undefined
        ? failed(x.errors?.[0] ?? 'no result')
        : `${x[k].toFixed(d)} ${u}${x.errors?.length ? ` (${x.errors.length} rounds FAILED: ${x.errors[0].slice(0, 60)})` : ''}`;
    const mr = ratio(c.pssPerPodMiB, r.pssPerPodMiB);
    const sr = ratio(c.startPerPodMs, r.startPerPodMs);
    const mt = memThr[n];
    rows.push([
      `${n}`,
      v(c, 'pssPerPodMiB', 1, 'MiB'),
      v(r, 'pssPerPodMiB', 1, 'MiB'),
      rx(mr),
      `${fixed(c.settledPerPodMiB, 1)} / ${fixed(r.settledPerPodMiB, 1)} MiB ${rx(ratio(c.settledPerPodMiB, r.settledPerPodMiB))}`,
      `${fixed(c.alonePerPodMiB, 1)} / ${fixed(r.alonePerPodMiB, 1)} MiB ${rx(ratio(c.alonePerPodMiB, r.alonePerPodMiB))}`,
      mt ? `≤ ${mt.toFixed(1)}×` : 'none',
      mt ? verdict(`pods: Pss per pod at N = ${n} ≤ ${mt.toFixed(1)}× runc`, mt, mr, mr <= mt) : '',
      v(c, 'startPerPodMs', 0, 'ms'),
      v(r, 'startPerPodMs', 0, 'ms'),
      rx(sr),
      verdict(`pods: start per pod at N = ${n} ≤ 1.0× runc`, 1, sr, sr <= 1),
      `${fixed(c.stopPerPodMs, 0)} / ${fixed(r.stopPerPodMs, 0)} ms`,
      `${c.shims ?? '?'} / ${r.shims ?? '?'}`,
    ]);
  }
  const rounds = all.find((x) => x.rt === 'carton')?.rounds ?? '?';
  const group = all[0]?.group ?? '?';
  return `### Pod density through CRI (bench/pods.sh)\n\ncontainerd 1.6's CRI plugin on temp dirs; N pods of pause + one \`sleep\` container; Pss (smaps_rollup) of every shim and container process, divided by N, median of ${rounds} rounds; start = RunPodSandbox + CreateContainer + StartContainer, median over every pod of those rounds. carton's shims: CARTON_SHIM_GROUP=${group || 'unset (one shim per namespace)'}.\n\n${table(['pods', 'Pss per pod 1 s after the last start, carton', 'runc', 'carton / runc', 'settled (+6 s), carton / runc', "settled, the shim's executable text counted whole, carton / runc", 'target (on the first Pss)', 'verdict', 'start per pod, carton', 'runc', 'carton / runc', 'verdict (≤ 1.0×)', 'stop+remove per pod, carton / runc', 'shims, carton / runc'], rows)}`;
}

const args = process.argv.slice(2);
if (args[0] === '--only') {
  const [, what, p] = args;
  const f = {
    run: cliSection,
    extended: extendedSection,
    engines: enginesSection,
    shim: shimSection,
    pods: podsSection,
  }[what];
  if (!f || !p) {
    console.error('usage: node bench/report.mjs [--only run|extended|engines|shim|pods PATH | DIR]');
    process.exit(2);
  }
  console.log(f(p));
} else {
  const dir = args[0];
  const stepLog = (name) => read(`${dir}/${name}.err`);
  const sections = [
    cliSection(`${dir}/run`),
    extendedSection(`${dir}/extended.json`),
    enginesSection(`${dir}/engines`),
    podsSection(`${dir}/pods.json`, stepLog('pods')),
    shimSection(`${dir}/shim.json`, stepLog('shim')),
  ];
  // the sections first: they fill in the verdicts the summary counts
  console.log([header(dir), targetsSummary(verdicts), ...sections].join('\n\n'));
}
