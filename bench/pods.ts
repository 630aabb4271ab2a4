// Pod density (issue 16, item 2 of the issue): N CRI pods (pause + one
// `sleep` container each) through containerd's CRI plugin, with
// runtime_type io.containerd.carton.v2 and with io.containerd.runc.v2 + runc,
// for N = 1, 10, 30: the Pss of every shim and container process per pod,
// and the time inside containerd to bring one pod up (RunPodSandbox +
// CreateContainer + StartContainer), run by bench/pods.sh.
// Usage (via bench/pods.sh): node pods.js [--counts 1,10,30] [--reps R] [--group pod|namespace] [--json FILE]
// (--json FILE: the figures as JSON too, for bench/all.sh; a round that fails
// is kept there and printed as FAILED, and the other rounds go on)
// (CARTON_SHIM_GROUP in containerd's environment; unset, every pod is on the
// namespace's one carton shim; --group pod: a carton shim per pod)
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CriClient, type PodSandboxConfig } from '../test/cri';
import {
  busyboxArchive,
  IMAGE,
  killShims,
  PAUSE_IMAGE,
  pauseArchive,
  pidsMentioning,
  removeCgroupTrees,
  rmdirIfEmpty,
  sleep,
  startContainerd,
  stopDaemon,
  unmountUnder,
} from '../test/engines';

const REPO = process.env.CARTON_REPO ?? path.resolve(__dirname, '..');
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return (i > 0 ? process.argv[i + 1] : undefined) ?? dflt;
};
const COUNTS = arg('--counts', '1,10,30').split(',').map(Number);
const REPS = Number(arg('--reps', '1'));
const GROUP = arg('--group', '');
/** carton's lifecycle workers retire after 5 s idle (src/shim/task/lifecycle.ts); measure again after that */
const SETTLE_MS = 6000;
const JSON_OUT = arg('--json', '');
const RUNTIMES = { carton: 'io.containerd.carton.v2', runc: 'io.containerd.runc.v2' } as const;
type Rt = keyof typeof RUNTIMES;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carton-podbench-'));
const SOCK = path.join(dir, 'containerd.sock');
const CG = `carton-podbench-${process.pid}`;
const ctrBin = ['/usr/bin/ctr', '/usr/local/bin/ctr'].find((p) => fs.existsSync(p))!;
const containerdBin = ['/usr/bin/containerd', '/usr/local/bin/containerd'].find((p) => fs.existsSync(p))!;

function pss(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * The Rss and Pss of `pid`'s executable's mappings (Node's ~40 MiB of text
 * for carton's shim, the Go binary for runc's). Pss divides shared pages
 * among every process that maps them, this bench's own Node and any other
 * Node on the machine included; on a node where the shims are the only
 * processes of that executable, their text costs its Rss once.
 */
function exeKiB(pid: number): { rss: number; pss: number } {
  const r = { rss: 0, pss: 0 };
  try {
    const exe = fs.readlinkSync(`/proc/${pid}/exe`);
    let mine = false;
    for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
      const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (head) mine = head[1] === exe;
      else if (mine && line.startsWith('Rss:')) r.rss += Number(line.split(/\s+/)[1]);
      else if (mine && line.startsWith('Pss:')) r.pss += Number(line.split(/\s+/)[1]);
    }
  } catch {
    // gone
  }
  return r;
}

/** Pids in the cgroup tree CG (the pods' containers), from the pids hierarchy. */
function containerPids(): number[] {
  const top = path.join('/sys/fs/cgroup/pids', CG);
  const out: number[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
    out.push(...fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number));
  };
  if (fs.existsSync(top)) walk(top);
  return out;
}

const shims = (rt: Rt) =>
  pidsMentioning(SOCK).filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`containerd-shim-${rt}-v2`);
    } catch {
      return false;
    }
  });

interface Result {
  /** 1 s after the last pod started (the shim's lifecycle workers still live) */
  pssKiB: number;
  /** SETTLE_MS later: the steady state of a node full of pods (idle workers retired) */
  settledKiB: number;
  /** of settledKiB, the shims' own share */
  shimKiB: number;
  /** settledKiB with the shims' executable text counted once and whole (exeKiB) */
  aloneKiB: number;
  startMs: number[];
  shims: number;
  stopMs: number;
}

/** Pods made and not yet removed: what a teardown on a signal stops and removes. */
const live = new Set<string>();
let daemon = 0;
let cri: CriClient | undefined;

async function round(cri: CriClient, rt: Rt, n: number, rep: number): Promise<Result> {
  const pods: string[] = [];
  const startMs: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const name = `p${n}-${rt}-${rep}-${i}`;
      const sb: PodSandboxConfig = {
        metadata: { name, uid: `${name}-uid`, namespace: 'bench' },
        log_directory: path.join(dir, 'pods', name),
        linux: {
          cgroup_parent: `/${CG}/${name}`,
          security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } },
        },
      };
      fs.mkdirSync(sb.log_directory!, { recursive: true });
      const t0 = performance.now();
      const pod = await cri.runPodSandbox(sb, rt);
      pods.push(pod);
      live.add(pod);
      const c = await cri.createContainer(
        pod,
        { metadata: { name: 'main' }, image: { image: IMAGE }, command: ['sleep', '100000'], log_path: 'main.log' },
        sb,
      );
      await cri.startContainer(c);
      startMs.push(performance.now() - t0);
    }
    await sleep(1000);
    const total = () => [...shims(rt), ...containerPids()].reduce((s, p) => s + pss(p), 0);
    const pssKiB = total();
    await sleep(SETTLE_MS);
    const settledKiB = total();
    const shimKiB = shims(rt).reduce((s, p) => s + pss(p), 0);
    // The shims' executable text counted once and whole, as on a node where nothing else maps it.
    const exe = shims(rt).map(exeKiB);
    const aloneKiB = settledKiB - exe.reduce((s, x) => s + x.pss, 0) + Math.max(0, ...exe.map((x) => x.rss));
    const nShims = shims(rt).length;
    const t1 = performance.now();
    for (const p of pods.splice(0)) {
      await cri.stopPodSandbox(p);
      await cri.removePodSandbox(p);
      live.delete(p);
    }
    return { pssKiB, settledKiB, shimKiB, aloneKiB, startMs, shims: nShims, stopMs: performance.now() - t1 };
  } finally {
    for (const p of pods) await removePod(cri, p);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (i: number) => s[i] ?? NaN;
  return s.length ? (s.length % 2 ? at((s.length - 1) / 2) : (at(s.length / 2 - 1) + at(s.length / 2)) / 2) : NaN;
};

/** Stops and removes a pod, at most 20 s, errors ignored (teardown). */
async function removePod(c: CriClient, p: string): Promise<void> {
  const both = async () => {
    await c.stopPodSandbox(p).catch(() => undefined);
    await c.removePodSandbox(p).catch(() => undefined);
  };
  await Promise.race([both(), sleep(20_000)]);
  live.delete(p);
}

async function main(): Promise<void> {
  try {
    const envPath = `${path.join(REPO, 'bin')}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`;
    // No linger: a shim goes with its last pod, as runc's does (the default 30 s would count idle shims of the previous round).
    daemon = (
      await startContainerd(containerdBin, dir, {
        env: { ...process.env, PATH: envPath, CARTON_SHIM_LINGER_MS: '0', CARTON_SHIM_GROUP: GROUP },
        cri: {
          runtimes: { carton: { runtimeType: RUNTIMES.carton }, runc: { runtimeType: RUNTIMES.runc } },
          sandboxImage: PAUSE_IMAGE,
        },
      })
    ).pid;
    for (const a of [busyboxArchive(dir), pauseArchive(dir)]) {
      const r = spawnSync(ctrBin, ['--address', SOCK, '--namespace', 'k8s.io', 'image', 'import', a], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`image import: ${r.stderr}`);
    }
    cri = new CriClient(SOCK);
    const rows: string[] = [];
    // every figure to come, as "not measured" until it is: a run cut short shows what it missed
    const out: Record<string, unknown>[] = COUNTS.flatMap((n) =>
      (Object.keys(RUNTIMES) as Rt[]).map((rt) => ({
        n,
        rt,
        group: GROUP,
        rounds: 0,
        errors: ['not measured (the run stopped before it)'],
        pssPerPodMiB: null,
        startPerPodMs: null,
      })),
    );
    if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify(out, null, 1) + '\n');
    for (const n of COUNTS) {
      const res: Record<Rt, Result[]> = { carton: [], runc: [] };
      const errors: Record<Rt, string[]> = { carton: [], runc: [] };
      for (let rep = 0; rep < REPS; rep++) {
        for (const rt of Object.keys(RUNTIMES) as Rt[]) {
          console.error(`bench/pods: ${n} pods with ${rt}, round ${rep + 1} of ${REPS}`);
          try {
            res[rt].push(await round(cri, rt, n, rep));
          } catch (e) {
            errors[rt].push((e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 160));
            console.error(`bench/pods: ${n} pods with ${rt}, round ${rep + 1}: ${errors[rt].at(-1)}`);
          }
          for (let i = 0; i < 50 && shims(rt).length; i++) await sleep(100);
        }
      }
      const mib = (rt: Rt, k: 'pssKiB' | 'settledKiB' | 'shimKiB' | 'aloneKiB' = 'pssKiB') =>
        median(res[rt].map((r) => r[k])) / n / 1024;
      const ms = (rt: Rt) => median(res[rt].flatMap((r) => r.startMs));
      const stop = (rt: Rt) => median(res[rt].map((r) => r.stopMs)) / n;
      for (const rt of Object.keys(RUNTIMES) as Rt[])
        out[out.findIndex((x) => x.n === n && x.rt === rt)] = {
          n,
          rt,
          group: GROUP,
          rounds: res[rt].length,
          errors: errors[rt],
          pssPerPodMiB: res[rt].length ? mib(rt) : null,
          settledPerPodMiB: res[rt].length ? mib(rt, 'settledKiB') : null,
          shimPerPodMiB: res[rt].length ? mib(rt, 'shimKiB') : null,
          alonePerPodMiB: res[rt].length ? mib(rt, 'aloneKiB') : null,
          startPerPodMs: res[rt].length ? ms(rt) : null,
          starts: res[rt].flatMap((r) => r.startMs).length,
          stopPerPodMs: res[rt].length ? stop(rt) : null,
          shims: res[rt][0]?.shims ?? null,
        };
      // after each N, so that a run cut short keeps what it measured
      if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify(out, null, 1) + '\n');
      const f = (x: number, d: number, unit = '') => (Number.isFinite(x) ? `${x.toFixed(d)}${unit}` : 'FAILED');
      rows.push(
        `| ${n} | ${f(mib('carton'), 1, ' MiB')} | ${f(mib('runc'), 1, ' MiB')} | **${f(mib('carton') / mib('runc'), 2)}** | ${f(mib('carton', 'settledKiB'), 1)} (${f(mib('carton', 'shimKiB'), 1)}) MiB | ${f(mib('runc', 'settledKiB'), 1)} (${f(mib('runc', 'shimKiB'), 1)}) MiB | **${f(mib('carton', 'settledKiB') / mib('runc', 'settledKiB'), 2)}** | ${f(mib('carton', 'aloneKiB'), 1)} / ${f(mib('runc', 'aloneKiB'), 1)} MiB **${f(mib('carton', 'aloneKiB') / mib('runc', 'aloneKiB'), 2)}** | ${f(ms('carton'), 0, ' ms')} | ${f(ms('runc'), 0, ' ms')} | **${f(ms('carton') / ms('runc'), 2)}** | ${f(stop('carton'), 0)} / ${f(stop('runc'), 0)} ms | ${res.carton[0]?.shims ?? '?'} / ${res.runc[0]?.shims ?? '?'} |`,
      );
    }
    console.log(
      `## CRI pods (pause + one sleep container): carton (CARTON_SHIM_GROUP=${GROUP || 'unset: namespace'}) vs runc, containerd's CRI plugin, ${os.cpus().length} cores, median of ${REPS}`,
    );
    console.log('');
    console.log(
      '| pods | Pss per pod 1 s after the last start, carton | runc | carton / runc | settled (+6 s; of it the shims), carton | runc | carton / runc | settled, shim binary text counted whole, carton / runc | start per pod, carton | runc | carton / runc | stop+remove per pod, carton / runc | shims, carton / runc |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
  } finally {
    await teardown();
  }
}

let tornDown: Promise<void> | undefined;
/** Everything this run made, once, whether it ends normally or on a signal. */
function teardown(): Promise<void> {
  tornDown ??= (async () => {
    if (cri) for (const p of [...live]) await removePod(cri, p);
    cri?.close();
    for (const p of [...shims('carton'), ...shims('runc')]) {
      try {
        process.kill(p, 'SIGTERM');
      } catch {
        // gone
      }
    }
    await sleep(500);
    killShims(SOCK, daemon ? [daemon] : []);
    if (daemon) await stopDaemon(daemon);
    unmountUnder(dir);
    // carton's state of the pods a failed round left (the shim's state root in k8s.io is shared: only our pods')
    const k8s = '/run/containerd/carton/k8s.io';
    if (fs.existsSync(k8s)) {
      for (const id of fs.readdirSync(k8s)) {
        const cfg = path.join(k8s, id, 'state.json');
        if (fs.existsSync(cfg) && fs.readFileSync(cfg, 'utf8').includes(dir))
          spawnSync(path.join(REPO, 'bin', 'carton'), ['--root', k8s, 'delete', '--force', id]);
      }
    }
    removeCgroupTrees([CG]);
    // runc's shim leaves its state root for the namespace behind, empty
    rmdirIfEmpty([k8s, '/run/containerd/carton', '/run/containerd/runc/k8s.io', '/run/containerd/runc']);
    fs.rmSync(dir, { recursive: true, force: true });
  })();
  return tornDown;
}

for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(sig, () => {
    console.error(`bench/pods: ${sig}, cleaning up`);
    void teardown().finally(() => process.exit(code));
  });
}

main().catch((e) => {
  console.error(`bench/pods: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 1;
});
