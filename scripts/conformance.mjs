#!/usr/bin/env node
// `npm run conformance`: the runtime-spec validation suite (opencontainers/
// runtime-tools, ../shared/conformance) against the built carton, compared
// with test/conformance/expected.json. Only a result that differs from the
// expectation fails the command (it is named); so does anything the run left
// behind (a container, a cgroup, a mount, a container process).
//
// run.sh's own "N passed, N failed" line never reaches stdout: CI reads any
// such line as a verdict, and the raw count includes the expected failures.
//
// Env: CARTON_BIN (the runtime under test; default dist/carton of this tree,
// the shipped executable that setup puts on PATH; bin/carton is the Node entry),
// TESTS="create delete ..." (a subset), TIMEOUT (seconds per test file,
// default 180: linux_cgroups_cpus makes 17 containers), CONFORMANCE_OUT (where the .tap/.err files are kept),
// CARTON_SHARED_DIR (the folder holding conformance/, default ../shared).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runtime = path.resolve(process.env.CARTON_BIN ?? path.join(root, 'dist', 'carton'));
const expectedFile = path.join(root, 'test', 'conformance', 'expected.json');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// runtime-tools' fixed cgroup paths (cgroups/cgroups.go: AbsCgroupPath, RelCgroupPath)
const SUITE_CGROUPS = ['cgrouptest', 'testdir'];

function die(msg) {
  console.error(`conformance: ${msg}`);
  process.exit(2);
}

/** ../shared beside the clone (CI); in a git worktree, beside the main checkout. */
function sharedDir() {
  const candidates = [process.env.CARTON_SHARED_DIR, path.join(root, '..', 'shared')];
  try {
    const common = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], {
      cwd: root,
      encoding: 'utf8',
    });
    candidates.push(path.join(path.dirname(path.dirname(common.trim())), 'shared'));
  } catch {
    // not a git checkout: only the first two apply
  }
  for (const c of candidates)
    if (c && fs.existsSync(path.join(c, 'conformance', 'run.sh'))) return path.join(c, 'conformance');
  return die(`no conformance/run.sh in ${candidates.filter(Boolean).join(' or ')}`);
}

// ---- what a run may leave behind ----

function cgroupRoots() {
  const roots = new Set();
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep > 0 && (f[sep + 1] === 'cgroup' || f[sep + 1] === 'cgroup2')) roots.add(f[4]);
  }
  return [...roots];
}

function listDirs(dir) {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** Cgroups the suite's containers could leave: its fixed paths and uuid-named ones under /carton. */
function suiteCgroups() {
  const out = [];
  for (const r of cgroupRoots()) {
    for (const n of SUITE_CGROUPS) if (fs.existsSync(path.join(r, n))) out.push(path.join(r, n));
    for (const n of listDirs(path.join(r, 'carton'))) if (UUID.test(n)) out.push(path.join(r, 'carton', n));
  }
  return out;
}

function bundleDirs() {
  return listDirs(os.tmpdir())
    .filter((n) => n.startsWith('ocitest'))
    .map((n) => path.join(os.tmpdir(), n));
}

function mountsUnder(dirs) {
  const out = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
    if (dirs.some((d) => mp === d || mp.startsWith(d + '/'))) out.push(mp);
  }
  return out;
}

/** Processes whose root is inside a suite bundle: a container that outlived its test. */
function processesUnder(dirs) {
  const out = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const r = fs.readlinkSync(`/proc/${pid}/root`);
      if (dirs.some((d) => r === d || r.startsWith(d + '/'))) out.push(Number(pid));
    } catch {
      // gone, or a kernel thread
    }
  }
  return out;
}

function snapshot() {
  return { cgroups: new Set(suiteCgroups()), bundles: new Set(bundleDirs()) };
}

/** Lists (and then removes) what this run left; each entry is one line of the report. */
function leftovers(before, stateRoot) {
  const found = [];
  const containers = listDirs(stateRoot);
  for (const id of containers) {
    found.push(`container ${id} still in ${stateRoot}`);
    spawnSync(runtime, ['--root', stateRoot, 'delete', '--force', id], { stdio: 'ignore', timeout: 30_000 });
  }
  const bundles = bundleDirs().filter((d) => !before.bundles.has(d));
  for (const pid of processesUnder(bundles)) {
    found.push(`process ${pid} still runs in a suite bundle`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const m of mountsUnder(bundles).reverse()) {
    found.push(`mount ${m}`);
    spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  }
  const suiteLeaks = [];
  for (const d of bundles) {
    // With no mount or process left in it, the suite left it itself: its
    // RuntimeInsideValidate returns before its deferred Clean() when a
    // test's PreFunc fails (validation/util/test.go:183-186; e.g. the
    // masked/readonly symlink cases), without calling the runtime at all.
    suiteLeaks.push(d);
    fs.rmSync(d, { recursive: true, force: true });
  }
  for (const c of suiteCgroups()
    .filter((c) => !before.cgroups.has(c))
    .sort()
    .reverse()) {
    found.push(`cgroup ${c}`);
    spawnSync('find', [c, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';'], { stdio: 'ignore' });
  }
  return { found, suiteLeaks };
}

// ---- the run ----

function loadExpected() {
  const tests = JSON.parse(fs.readFileSync(expectedFile, 'utf8')).tests;
  for (const [name, e] of Object.entries(tests)) {
    if (e.result !== 'pass' && e.result !== 'fail')
      die(`${expectedFile}: tests.${name}.result must be "pass" or "fail"`);
    if (e.result === 'fail' && !e.reason) die(`${expectedFile}: tests.${name}: an expected fail needs a reason`);
  }
  return tests;
}

function firstFailure(out, name) {
  try {
    const tap = fs.readFileSync(path.join(out, `${name}.tap`), 'utf8').split('\n');
    const err = fs
      .readFileSync(path.join(out, `${name}.err`), 'utf8')
      .split('\n')
      .filter(Boolean);
    const nok = tap.find((l) => l.startsWith('not ok '));
    return nok ?? err[0] ?? tap.find((l) => /"error":/.test(l))?.trim() ?? '';
  } catch {
    return '';
  }
}

function main() {
  if (!fs.existsSync(runtime)) die(`runtime ${runtime} does not exist (build first, or set CARTON_BIN)`);
  const expected = loadExpected();
  const conf = sharedDir();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'carton-conformance-'));
  const out = process.env.CONFORMANCE_OUT ? path.resolve(process.env.CONFORMANCE_OUT) : path.join(work, 'out');
  // A state root of our own: whatever is in it after the run was left by the run.
  const stateRoot = path.join(work, 'state');
  fs.mkdirSync(stateRoot);
  const wrapper = path.join(work, 'carton');
  const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${q(runtime)} --root ${q(stateRoot)} "$@"\n`, { mode: 0o755 });

  const before = snapshot();
  console.log(`conformance: suite ${conf}, runtime ${runtime}, output in ${out}`);
  const timeout = Number(process.env.TIMEOUT ?? 180);
  const names = process.env.TESTS ? process.env.TESTS.split(/\s+/).filter(Boolean) : Object.keys(expected);
  const run = spawnSync('bash', [path.join(conf, 'run.sh'), wrapper, out], {
    encoding: 'utf8',
    env: { ...process.env, TIMEOUT: String(timeout) },
    // run.sh bounds each file (timeout -k 5); this bounds the whole, build included
    timeout: (names.length * (timeout + 10) + 900) * 1000,
    maxBuffer: 16 << 20,
  });
  if (run.error || run.status !== 0) {
    process.stderr.write((run.stdout ?? '').replace(/^\d+ passed, \d+ failed$/m, ''));
    process.stderr.write(run.stderr ?? '');
    die(`run.sh failed (${run.error?.message ?? `exit ${run.status}`})`);
  }
  const results = new Map();
  for (const line of run.stdout.split('\n')) {
    const m = /^(\S+) (PASS|FAIL\(.*\))$/.exec(line);
    if (m) results.set(m[1], { result: m[2] === 'PASS' ? 'pass' : 'fail', detail: m[2] });
  }

  const unexpected = [];
  let passes = 0,
    expFails = 0;
  for (const name of [...new Set([...names, ...results.keys()])].sort()) {
    const got = results.get(name);
    const want = expected[name];
    if (!got) {
      unexpected.push(`${name}: in expected.json but not run`);
      console.log(`UNEXPECTED ${name}: not run`);
    } else if (!want) {
      unexpected.push(`${name}: ${got.result}, not in expected.json`);
      console.log(`UNEXPECTED ${name}: ${got.detail}, not in expected.json`);
    } else if (got.result !== want.result) {
      const why = got.result === 'fail' ? ` -- ${firstFailure(out, name)}` : ` (expected fail: ${want.reason})`;
      unexpected.push(`${name}: ${got.result}, expected ${want.result}`);
      console.log(`UNEXPECTED ${name}: ${got.detail}, expected ${want.result}${why}`);
    } else if (got.result === 'pass') {
      passes++;
      console.log(`ok ${name}: pass${want.note ? ` (${want.note})` : ''}`);
    } else {
      expFails++;
      console.log(`ok ${name}: ${got.detail}, expected fail: ${want.reason}`);
    }
  }

  const { found: left, suiteLeaks } = leftovers(before, stateRoot);
  for (const l of left) console.log(`LEFT BEHIND ${l} (removed)`);
  if (suiteLeaks.length)
    console.log(
      `note: the suite left ${suiteLeaks.length} bundle directories of its own, with nothing of the runtime in them (removed)`,
    );
  if (!process.env.CONFORMANCE_OUT && !unexpected.length && !left.length)
    fs.rmSync(work, { recursive: true, force: true });
  if (unexpected.length) console.log(`changed vs expected.json: ${unexpected.join('; ')}`);
  console.log(
    `conformance: ${passes + expFails} as expected (${passes} pass, ${expFails} expected fail), ` +
      `${unexpected.length} unexpected, ${left.length} left behind`,
  );
  process.exit(unexpected.length || left.length ? 1 : 0);
}

main();
