// Hook timeouts in both hook runners: the CLI's (prestart, createRuntime,
// poststart, poststop: src/container/hooks.ts) and carton-init's
// (createContainer, startContainer: native/init/hooks.cc). A hook that has
// exited is done even if a child of it still holds its stdout/stderr; a hook
// past its timeout is killed with its process group and reported in runc's
// words; timeouts are seconds as 64-bit integers; nothing busy-loops.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { CARTON, Env, pidAlive, testSpec } from '../helpers';
import type { Hook, Spec } from '../../src/spec/types';

const env = new Env('hook-timeouts');
const strays: number[] = [];
t.teardown(() => {
  for (const pid of strays) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

const TICK = 100; // USER_HZ: /proc/<pid>/stat and `times` count in 1/100 s

/** utime + stime of a live process, in seconds. */
function cpuOf(pid: number): number {
  const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
}

/** `carton create` under bash: also the CPU seconds carton and its reaped children used (bash's `times`). */
function createTimed(spec: Spec, id: string): { code: number; out: string; cpu: number } {
  const out = path.join(env.dir, `out-${id}`);
  const script = `"$0" --root "$1" create --bundle "$2" "$3" >"$4" 2>&1; rc=$?; times | tail -1; exit $rc`;
  const r = spawnSync('bash', ['-c', script, CARTON, env.root, env.bundle(spec), id, out], {
    encoding: 'utf8',
    timeout: 60000,
  });
  // "0m0.312s 0m0.104s": children's user and system time
  const [u = NaN, s = NaN] = r.stdout
    .trim()
    .split(/\s+/)
    .map((x) => {
      const m = /(\d+)m([\d.]+)s/.exec(x)!;
      return Number(m[1]) * 60 + Number(m[2]);
    });
  return { code: r.status ?? -1, out: fs.readFileSync(out, 'utf8'), cpu: u + s };
}

const lingering: Hook = { path: '/bin/sh', args: ['sh', '-c', 'sleep 4 & exit 0'], timeout: 1 };

t.test(
  'createContainer (carton-init): a hook that exited is not waited on for the child holding its stdout, and init does not spin',
  async (t) => {
    // Before the fix: carton-init looped on read() = EAGAIN until the child
    // closed the pipe (4 s later), at 99% CPU, past the 1 s timeout: init had
    // used "4.0" s of CPU when create returned.
    const id = env.id();
    const r = createTimed(
      testSpec(['true'], (s) => (s.hooks = { createContainer: [lingering] })),
      id,
    );
    t.equal(r.code, 0, r.out);
    const cpu = cpuOf(env.state(id).pid);
    t.ok(cpu < 1, `carton-init used ${cpu}s of CPU (bound: 1s, a spin-free run uses ~0.01s)`);
    t.equal(env.carton(['delete', '--force', id]).code, 0);
  },
);

t.test('prestart (the CLI): the same, and the CLI does not spin either', async (t) => {
  // Before the fix: spawnSync waited for EOF on the hook's stdout, killed the
  // (already exited) hook at 1 s and create failed with "error running
  // prestart hook #0: hook ran past specified timeout of 1.0s".
  const id = env.id();
  const r = createTimed(
    testSpec(['true'], (s) => (s.hooks = { prestart: [lingering] })),
    id,
  );
  t.equal(r.code, 0, r.out);
  t.ok(r.cpu < 3, `carton and its reaped children used ${r.cpu}s of CPU (bound: 3s)`);
  t.equal(env.carton(['delete', '--force', id]).code, 0);
});

/** A hook that starts a background sleep (its pid into `file`), then outlives its timeout. */
function stuck(file: string): Hook {
  return { path: '/bin/sh', args: ['sh', '-c', `sleep 600 & echo $! > ${file}; wait`], timeout: 1 };
}

for (const kind of ['createContainer', 'createRuntime'] as const) {
  t.test(`${kind}: a hook past its timeout is killed with its process group and reported as runc does`, async (t) => {
    // Before the fix only the hook itself was killed; its background sleep
    // (in the hook's process group) lived on ("the hook's child ... was
    // killed with it" failed for createRuntime), and carton-init even waited
    // for it to close the pipe (with a 60 s sleep, create took 61 s).
    const file = path.join(env.dir, `${kind}.pid`);
    const id = env.id();
    const r = env.detached([
      'create',
      '--bundle',
      env.bundle(
        testSpec(['true'], (s) => {
          s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid'); // the hook's pids are ours to check
          s.hooks = { [kind]: [stuck(file)] };
        }),
      ),
      id,
    ]);
    t.equal(r.code, 1);
    t.match(r.stderr, `error running ${kind} hook #0: hook ran past specified timeout of 1.0s`);
    const pid = Number(fs.readFileSync(file, 'utf8'));
    strays.push(pid);
    t.ok(pid > 0 && !pidAlive(pid), `the hook's child ${pid} was killed with it`);
  });
}

t.test('timeouts are not truncated to 32 bits (4294967297 s is not 1 s)', async (t) => {
  // Before the fix carton-init got 4294967297 & 0xffffffff = 1: "error running
  // createContainer hook #0: hook ran past specified timeout of 1.0s".
  const slow: Hook = { path: '/bin/sleep', args: ['sleep', '2'], timeout: 4294967297 };
  for (const kind of ['createContainer', 'prestart'] as const) {
    const id = env.id();
    const r = env.detached([
      'create',
      '--bundle',
      env.bundle(testSpec(['true'], (s) => (s.hooks = { [kind]: [slow] }))),
      id,
    ]);
    t.equal(r.code, 0, `${kind}: ${r.stderr}`);
    env.carton(['delete', '--force', id]);
  }
  // A timeout beyond what a double holds exactly still means "a long time".
  const id = env.id();
  const huge = testSpec(
    ['true'],
    (s) =>
      (s.hooks = {
        createContainer: [{ path: '/bin/true', timeout: 1 }],
        prestart: [{ path: '/bin/true', timeout: 1 }],
      }),
  );
  const text = JSON.stringify(huge).replace(/"timeout":1/g, '"timeout":18446744073709551616000');
  const r = env.detached(['create', '--bundle', env.bundle(text), id]);
  t.equal(r.code, 0, r.stderr);
  env.carton(['delete', '--force', id]);
});

t.test("both runners word a hook killed by a signal the same way (Go's)", async (t) => {
  // Before the fix the CLI said "signal: SIGUSR1", carton-init "signal: user defined signal 1".
  const usr1: Hook = { path: '/bin/sh', args: ['sh', '-c', 'echo out; kill -USR1 $$'] };
  for (const kind of ['createContainer', 'createRuntime'] as const) {
    const r = env.detached([
      'create',
      '--bundle',
      env.bundle(testSpec(['true'], (s) => (s.hooks = { [kind]: [usr1] }))),
      env.id(),
    ]);
    t.equal(r.code, 1);
    t.match(
      r.stderr,
      `error running ${kind} hook #0: error running hook: signal: user defined signal 1, stdout: out , stderr:`,
    );
  }
});
