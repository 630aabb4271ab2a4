// spawnInit alone, clone3(CLONE_INTO_CGROUP) vs posix_spawn, in this Node
// process: spawn stage A (it waits for 'G'), SIGKILL it, reap it. Uses its
// own cgroup2 directory under /sys/fs/cgroup/unified and removes it.
// Usage: node bench/spawn-init.mjs [runs]   (as root, after npm run build:ts)
import { createRequire } from 'module';
import * as fs from 'fs';
import * as path from 'path';

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const addon = require(path.join(repo, 'build/Release/carton.node'));
const init = path.join(repo, 'build/Release/carton-init');
const runs = Number(process.argv[2] ?? 200);
const parent = `/sys/fs/cgroup/unified/carton-bench-spawn-${process.pid}`;
const dir = path.join(parent, 'c');
fs.mkdirSync(dir, { recursive: true });
// Any bytes: stage A waits for 'G' (or exits on a plan without T_FDS); only the spawn is timed.
const plan = Buffer.alloc(64);
const nul = fs.openSync('/dev/null', 'r');

function once(cg) {
  const t0 = process.hrtime.bigint();
  const s = addon.spawnInit(init, plan, [nul], cg);
  const dt = Number(process.hrtime.bigint() - t0) / 1e6;
  try {
    process.kill(s.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  addon.waitPid(s.pid, false);
  addon.close(s.sync);
  return { dt, via: s.via };
}

const median = (a) => {
  const b = [...a].sort((x, y) => x - y);
  return b[b.length >> 1];
};
try {
  const res = { clone3: [], posix_spawn: [] };
  for (let i = 0; i < 10; i++) {
    once(dir);
    once(undefined);
  }
  for (let i = 0; i < runs; i++) {
    const a = once(dir);
    res[a.via].push(a.dt);
    const b = once(undefined);
    res[b.via].push(b.dt);
  }
  for (const [k, v] of Object.entries(res))
    if (v.length)
      console.log(`${k}: median ${median(v).toFixed(3)} ms, min ${Math.min(...v).toFixed(3)} ms (${v.length} runs)`);
} finally {
  fs.rmdirSync(dir);
  fs.rmdirSync(parent);
}
