// Issue 16 part 3: a crash of the serving shim loses nothing. Under
// containerd 1.6, three containers run in one carton shim (T with a
// terminal, A and B printing a line every 50 ms through containerd's
// fifos); the serving Node process is SIGKILLed (found as carton-keeper's
// child, by pid). containerd must still list all three RUNNING, their output
// must keep flowing, `ctr task ps` and exec must answer, and their later
// exit codes (3, 4, 5) must reach containerd (`ctr run` returns the code it
// waited for). A fourth container is killed while no Node runs at all: its
// 137 still reaches containerd once the keeper has respawned Node. Before
// the keeper, containerd saw the ttrpc connection close and declared every
// task of the shim dead (ctr run: exit 255, output cut off).
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { IMAGE, sleep } from '../engines';
import { CtrHarness, RT, until } from '../ctr-harness';
import { testSpec } from '../helpers';
import { keeperDir, SHARED_GROUP, socketAddress, socketPath, STATE_ROOT } from '../../src/shim/address';
import { procStat } from '../../src/state/status';

const h = new CtrHarness('shimcrash', `carton-crash-${process.pid}`);
const { dir, sock: SOCK, ns: NS } = h;
const ctr = (args: string[], timeout = 30000) => h.ctr(args, timeout);
const runs: ChildProcess[] = [];
const cartonShims = () => h.cartonShims(true);

const argv0 = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
  } catch {
    return '';
  }
};

/** The keeper, and the serving Node process: its child running the shim's script. */
function shimPids(): { keeper?: number; node?: number } {
  const shims = cartonShims();
  const keeper = shims.find((p) => argv0(p).endsWith('carton-keeper'));
  // (Without a keeper, as before it, the serving shim is the one Node process: the same test shows what is lost.)
  const node = shims.find(
    (p) => p !== keeper && (!keeper || procStat(p)?.ppid === keeper) && procStat(p)?.state !== 'Z',
  );
  return { keeper, node };
}

/** `ctr run` in the foreground (its stdout is what containerd's fifos carry), with its lines counted. */
function run(id: string, args: string[], viaScript = false) {
  const cmd = h.ctrArgv(['run', ...args]);
  const c = viaScript
    ? spawn('script', ['-qfec', cmd.map((a) => `'${a}'`).join(' '), '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  runs.push(c);
  const out = { lines: 0, stderr: '', code: undefined as number | null | undefined };
  c.stdout.on('data', (d: Buffer) => (out.lines += (String(d).match(new RegExp(`${id}\\r*\\n`, 'g')) ?? []).length));
  c.stderr.on('data', (d: Buffer) => (out.stderr += String(d)));
  const done = new Promise<number | null>((resolve) => c.on('close', (code) => resolve((out.code = code))));
  return { out, done };
}

const loop = (word: string, code: number) => `trap "exit ${code}" TERM; while :; do echo ${word}; usleep 50000; done`;

function status(id: string): string {
  return (
    /\s(RUNNING|STOPPED|CREATED|PAUSED|UNKNOWN)\b/.exec(
      ctr(['task', 'ls'])
        .stdout.split('\n')
        .find((l) => l.startsWith(`${id} `)) ?? '',
    )?.[1] ?? ''
  );
}

t.teardown(async () => {
  for (const c of runs) c.kill('SIGKILL');
  await h.teardown();
});

const skip = h.skipReason();
if (skip) {
  t.test('shim crash', { skip }, async () => {});
} else {
  t.before(() => h.start());

  t.test('SIGKILL of the serving shim: its containers run on, their output flows, their exits arrive', async (t) => {
    const [a, b, term, d] = ['a', 'b', 't', 'd'].map((x) => `${x}${process.pid}`) as [string, string, string, string];
    const ra = run(a, ['--runtime', RT, IMAGE, a, 'sh', '-c', loop(a, 3)]);
    t.ok(await until(() => status(a) === 'RUNNING'), 'A runs');
    const rb = run(b, ['--runtime', RT, IMAGE, b, 'sh', '-c', loop(b, 4)]);
    const rt = run(term, ['--rm', '-t', '--runtime', RT, IMAGE, term, 'sh', '-c', loop(term, 5)], true);
    const rd = run(d, ['--runtime', RT, IMAGE, d, 'sh', '-c', loop(d, 6)]);
    const all = [ra, rb, rt, rd];
    t.ok(
      await until(() => all.every((r) => r.out.lines >= 5)),
      `all four print (${all.map((r) => r.out.lines).join(',')})`,
    );
    t.equal(cartonShims().length, 2, 'one shim (a keeper and its Node) serves all four');
    const first = shimPids();
    t.ok(first.keeper && first.node, `keeper ${first.keeper}, serving Node ${first.node}`);

    // 1. Kill the serving Node process.
    process.kill(first.node!, 'SIGKILL');
    const atKill = all.map((r) => r.out.lines);
    t.ok(await until(() => (shimPids().node ?? first.node) !== first.node), 'the keeper respawned Node');
    const second = shimPids();
    t.equal(second.keeper, first.keeper, 'the same keeper');
    for (const id of [a, b, term, d]) t.equal(status(id), 'RUNNING', `containerd lists ${id} RUNNING`);
    t.ok(
      await until(() => all.every((r, i) => r.out.lines >= atKill[i]! + 5)),
      `output keeps flowing (lines at the kill ${atKill.join(',')}, now ${all.map((r) => r.out.lines).join(',')})`,
    );
    const ps = ctr(['task', 'ps', a]);
    t.equal(ps.code, 0, `ctr task ps answers: ${ps.stderr}`);
    t.match(ps.stdout, /PID/);
    const ex = ctr(['task', 'exec', '--exec-id', `e${process.pid}`, b, 'sh', '-c', 'echo hello; exit 7']);
    t.equal(ex.code, 7, `exec runs after the crash, its status arrives: ${ex.stderr}`);
    t.match(ex.stdout, /hello/, "exec's output arrives");
    t.ok(
      all.every((r) => r.out.code === undefined),
      'no ctr run has returned',
    );

    // 2. D exits while no Node runs at all: killed from the host right after Node.
    const dPid = Number(
      /\s(\d+)\s/.exec(
        ctr(['task', 'ls'])
          .stdout.split('\n')
          .find((l) => l.startsWith(d)) ?? '',
      )?.[1],
    );
    t.ok(dPid > 0, `D's pid ${dPid}`);
    process.kill(second.node!, 'SIGKILL');
    await until(() => procStat(second.node!) === null || procStat(second.node!)?.state === 'Z', 50);
    process.kill(dPid, 'SIGKILL');
    await until(() => procStat(dPid) === null, 50);
    t.equal(shimPids().node, undefined, 'D was gone before Node was back');
    t.equal(await rd.done, 137, 'D: its status (SIGKILL) reached ctr run after the respawn');
    t.ok(await until(() => shimPids().node !== undefined), 'Node is back');

    // 3. Exits with distinct codes after the crashes.
    for (const id of [a, b, term]) t.equal(ctr(['task', 'kill', '-s', 'TERM', id]).code, 0, `kill -TERM ${id}`);
    t.equal(await ra.done, 3, "A's exit code 3 reaches ctr run");
    t.equal(await rb.done, 4, "B's exit code 4 reaches ctr run");
    t.equal(await rt.done, 5, "T's exit code 5 reaches ctr run -t");

    // 4. Nothing left: the shim goes (no task left, linger 0) and its records with it.
    for (const id of [a, b, d]) ctr(['container', 'rm', id]);
    t.ok(await until(() => cartonShims().length === 0), 'keeper and Node exit');
    const sock = socketPath(socketAddress(SOCK, NS, SHARED_GROUP));
    t.notOk(fs.existsSync(keeperDir(sock)), "the shim's records are gone");
  });

  t.test('a request the dead Node was serving is answered with an error, not left hanging', async (t) => {
    const id = `h${process.pid}`;
    const started = path.join(dir, 'hook-started');
    // A prestart hook that takes 3 s: Create is in flight in Node when it is killed.
    const spec = testSpec(['sleep', '1000'], (s) => {
      s.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', `touch ${started}; sleep 3`] }] };
      s.linux!.cgroupsPath = `/${NS}/${id}`;
    });
    const specFile = path.join(dir, `${id}.json`);
    fs.writeFileSync(specFile, JSON.stringify(spec));
    const r = run(id, ['-d', '--runtime', RT, '--config', specFile, id]);
    t.ok(await until(() => fs.existsSync(started)), 'Create is in the hook');
    const { node } = shimPids();
    process.kill(node!, 'SIGKILL');
    const code = await Promise.race([r.done, sleep(30000).then(() => 'hung')]);
    t.not(code, 'hung', 'ctr run returned');
    t.not(code, 0, 'with an error');
    t.match(r.out.stderr, /shim restarted while serving this request/, `which says why: ${r.out.stderr.trim()}`);
    t.ok(
      await until(() => !fs.existsSync(path.join(STATE_ROOT, NS, id))),
      'the respawned shim removed the half-created container',
    );
    ctr(['task', 'delete', '--force', id]);
    ctr(['container', 'rm', id]);
  });
}
