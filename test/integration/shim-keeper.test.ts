// carton-keeper (native/keeper/keeper.c) on its own, with a shell standing
// in for the serving shim: a child that keeps dying is respawned a bounded
// number of times, then the keeper gives up with a log line and exits 1
// (never spins); a child that exits 0 ends the keeper at once, records
// removed; an orphan that re-parents to the keeper gets its exit recorded.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import t from 'tap';
import { Env, REPO } from '../helpers';

const KEEPER = path.join(REPO, 'build', 'Release', 'carton-keeper');
const env = new Env('shimkeeper');

t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

/** The keeper on a fresh listening socket (fd 3), running `sh -c script` as its "Node". */
async function keeper(name: string, script: string) {
  const sockPath = path.join(env.dir, `${name}.sock`);
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(sockPath, r));
  const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
  const state = path.join(env.dir, `${name}.state`);
  const t0 = Date.now();
  const k = spawn(KEEPER, [state, '/bin/sh', '-c', script], {
    stdio: ['ignore', 'ignore', 'pipe', fd],
    env: { PATH: '/usr/bin:/bin', STATE: state, OUT: path.join(env.dir, `${name}.out`) },
  });
  let log = '';
  k.stderr!.on('data', (d: Buffer) => (log += String(d)));
  // Bounded: the longest case (five respawns) backs off 3.1 s in all.
  const timer = setTimeout(() => k.kill('SIGKILL'), 30000);
  const code = await new Promise<number | null>((r) => k.on('close', (c) => r(c)));
  clearTimeout(timer);
  server.close();
  return { code, log, ms: Date.now() - t0, state, sockPath };
}

t.test('a serving shim that keeps dying: the keeper gives up after a bounded number of respawns', async (t) => {
  const r = await keeper('dying', 'echo started >> "$OUT"; exit 3');
  t.equal(r.code, 1, 'the keeper exits 1');
  t.match(r.log, /serving shim died \(exit status 3\) 6 times in 60 s: giving up/, `a clear log line: ${r.log}`);
  t.equal((r.log.match(/respawning it in/g) ?? []).length, 5, 'five respawns, each logged');
  const runs = fs.readFileSync(path.join(env.dir, 'dying.out'), 'utf8').split('\n').filter(Boolean).length;
  t.equal(runs, 6, 'the child ran six times (no spinning)');
  t.ok(r.ms >= 3000, `with backoff in between (${r.ms} ms)`);
});

t.test('a serving shim that exits 0 ends the keeper, which respawns nothing and removes its records', async (t) => {
  const r = await keeper('clean', 'echo started >> "$OUT"; exit 0');
  t.equal(r.code, 0);
  t.equal(fs.readFileSync(path.join(env.dir, 'clean.out'), 'utf8'), 'started\n', 'ran once');
  t.notOk(fs.existsSync(r.state), 'state dir removed');
  t.notMatch(r.log, /respawn/);
});

t.test('an orphan re-parented to the keeper: its exit status is recorded', async (t) => {
  // The inner sh exits at once, so its child re-parents to the keeper (the subreaper), which reaps it.
  const script = `sh -c '(sleep 0.2; exit 7) &'; sleep 1; cat "$STATE"/exits/* > "$OUT"; exit 0`;
  const r = await keeper('orphan', script);
  t.equal(r.code, 0);
  t.equal(fs.readFileSync(path.join(env.dir, 'orphan.out'), 'utf8'), '7\n', 'exits/<pid> says 7');
});

t.test('bad invocation: a one-line error, exit 2', async (t) => {
  const k = spawn(KEEPER, [path.join(env.dir, 'x'), '/bin/true'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  k.stderr.on('data', (d: Buffer) => (err += String(d)));
  const code = await new Promise<number | null>((r) => k.on('close', (c) => r(c)));
  t.equal(code, 2);
  t.match(err, /^carton-keeper: fd 3: not the shim's listening socket: .*\n$/);
  t.notOk(fs.existsSync(path.join(env.dir, 'x')), 'nothing created');
});
