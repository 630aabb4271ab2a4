// bin/containerd-shim-carton-v2, the C relay (native/shim-relay/relay.c):
// with a serving shim in the namespace, `start` and `delete` are answered by
// that shim over its front door (src/shim/frontdoor.ts) and no Node starts;
// otherwise, and for everything else, the relay execs the Node shim. "No
// Node starts" is proven by running the relay with a PATH that has no
// `node`: the fall-back (`#!/usr/bin/env node`) cannot succeed there.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import t from 'tap';
import { Env, pidAlive, REPO, testSpec } from '../helpers';
import { pidsMentioning, rmdirIfEmpty, sleep } from '../engines';
import { keeperDir } from '../../src/shim/address';
import { decode } from '../../src/shim/ttrpc/proto';
import { STATE_ROOT } from '../../src/shim/delete';
import { fnv1a64, frontDoorPath } from '../../src/shim/frontdoor';

const RELAY = path.join(REPO, 'bin', 'containerd-shim-carton-v2');
const env = new Env('shimrelay');
const ns = `shimrelay-${process.pid}`;
const caddr = path.join(env.dir, 'containerd.sock');
const door = frontDoorPath(caddr, ns);
const shimPids = new Set<number>();
const sockets = new Set<string>([door]);
const NO_NODE = { PATH: '/nonexistent' };

function relay(args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(RELAY, args, {
    cwd,
    encoding: 'buffer',
    timeout: 20000,
    // One shim per pod (not the default): the pods below need shims of their
    // own, which only Node can start, to show where the relay falls back.
    env: { ...process.env, CARTON_SHIM_LINGER_MS: '600000', CARTON_SHIM_GROUP: 'pod', ...extraEnv },
  });
  return { code: r.status, stdout: r.stdout, stderr: String(r.stderr) };
}

function start(id: string, bundle: string, extraEnv: NodeJS.ProcessEnv = {}) {
  const r = relay(
    ['-namespace', ns, '-address', caddr, '-publish-binary', '/bin/false', '-id', id, 'start'],
    bundle,
    extraEnv,
  );
  const address = String(r.stdout);
  if (address.startsWith('unix://')) sockets.add(address.slice('unix://'.length));
  return { ...r, address };
}

/**
 * The serving shim that `start` of container `id` spawned: its argv is
 * `-namespace NS -id ID -address ...` (src/shim/start.ts), where a `start`
 * invocation has other flags between the two.
 */
/** The serving shim (Node) started for container `id`; its carton-keeper parent is recorded for the teardown too. */
function shimPid(id: string): number {
  const all = pidsMentioning(`\0-namespace\0${ns}\0-id\0${id}\0`);
  for (const p of all) shimPids.add(p);
  const isKeeper = (p: number) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')[0]!.endsWith('carton-keeper');
    } catch {
      return false;
    }
  };
  return all.find((p) => !isKeeper(p)) ?? 0;
}

function ppidOf(pid: number): number {
  const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
}

function accepts(p: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(p);
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });
}

async function until(f: () => Promise<boolean> | boolean): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (await f()) return true;
    await sleep(50);
  }
  return false;
}

t.teardown(() => {
  // every serving shim of this namespace, found or not by the tests
  for (const p of pidsMentioning(`\0-namespace\0${ns}\0`)) shimPids.add(p);
  for (const p of shimPids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // each socket, and the records of the carton-keeper that served it (killed above, it could not remove them)
  for (const s of sockets) {
    fs.rmSync(s, { force: true });
    fs.rmSync(keeperDir(s), { recursive: true, force: true });
  }
  rmdirIfEmpty([path.join(STATE_ROOT, '.shim')]);
  fs.rmSync(path.join(STATE_ROOT, ns), { recursive: true, force: true });
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

t.test('the front door key: FNV-1a 64, as the relay computes it', async (t) => {
  t.equal(fnv1a64(Buffer.from('')), 'cbf29ce484222325');
  t.equal(fnv1a64(Buffer.from('a')), 'af63dc4c8601ec8c');
  t.equal(fnv1a64(Buffer.from('foobar')), '85944171f73967e8');
  t.match(door, /^\/run\/containerd\/s\/carton-[0-9a-f]{16}$/);
});

t.test('everything but start/delete, and start with no shim yet, is the Node shim', async (t) => {
  const v = relay(['-v'], env.dir);
  t.equal(v.code, 0);
  t.match(String(v.stdout), /^containerd-shim-carton-v2:\n {2}Version: {2}carton\n/);
  const bad = relay(['-namespace', ns, '-bogus', 'start'], env.dir);
  t.equal(bad.code, 2);
  t.equal(bad.stderr, 'containerd-shim-carton-v2: flag provided but not defined: -bogus\n');
  t.notOk(fs.existsSync(door), 'no front door yet');
  const none = start('n0', env.dir, NO_NODE);
  t.not(none.code, 0, 'no serving shim and no node: start cannot succeed');
  t.equal(none.address, '');
});

t.test('start and delete through a live shim, without Node', async (t) => {
  const b1 = env.bundle(testSpec(['true']));
  const b2 = env.bundle(testSpec(['true']));
  const s1 = start('r1', b1);
  t.equal(s1.code, 0, s1.stderr);
  t.match(s1.address, /^unix:\/\/\/run\/containerd\/s\/[0-9a-f]{64}$/);
  const pid = shimPid('r1');
  t.not(pid, 0, 'a serving shim');
  t.ok(await until(() => accepts(door)), 'the serving shim opened the front door');
  t.equal(fs.statSync(door).mode & 0o777, 0o600);

  const s2 = start('r2', b2, NO_NODE);
  t.equal(s2.code, 0, s2.stderr);
  t.equal(s2.address, s1.address, 'answered by the live shim');
  t.equal(s2.stderr, '');
  t.equal(fs.readFileSync(path.join(b2, 'address'), 'utf8'), s1.address, "which wrote the bundle's address file");

  // A pod needs a shim of its own: that is never the front door's to start.
  const pod = env.bundle(
    testSpec(['true'], (s) => (s.annotations = { 'io.kubernetes.cri.sandbox-id': `sb-${process.pid}` })),
  );
  const p1 = start('p1', pod, NO_NODE);
  t.not(p1.code, 0, 'a new shim: falls back to Node');
  const p2 = start('p2', pod);
  t.equal(p2.code, 0, p2.stderr);
  t.not(p2.address, s1.address);
  const podPid = shimPid('p2');
  t.not(podPid, pid);
  // and the pod's second container: its shim exists, so the front door answers
  const p3 = start('p3', pod, NO_NODE);
  t.equal(p3.code, 0, p3.stderr);
  t.equal(p3.address, p2.address);

  // delete: the carton container force-deleted by the serving shim.
  const root = path.join(STATE_ROOT, ns);
  const { id, bundle: b, pid: initPid } = env.createSleeper(root, 'relaydel');
  const d = relay(
    ['-namespace', ns, '-address', caddr, '-publish-binary', '/bin/false', '-id', id, '-bundle', b, 'delete'],
    b,
    NO_NODE,
  );
  t.equal(d.code, 0, d.stderr);
  const resp = decode('containerd.task.v2.DeleteResponse', d.stdout);
  t.equal(resp.exitStatus, 137);
  t.equal(resp.pid, initPid);
  t.ok(await until(() => !pidAlive(initPid)), 'the container init is gone');
  t.notOk(fs.existsSync(path.join(root, id)), 'and its state');

  // CARTON_SHIM_RELAY=0: always the Node shim.
  const off = start('r3', b2, { ...NO_NODE, CARTON_SHIM_RELAY: '0' });
  t.not(off.code, 0, 'relay off: Node, which is not on this PATH');

  // The front door's shim goes: the socket goes with it, and the next start
  // falls back to Node, whose Hold makes the surviving pod shim claim the door.
  process.kill(pid, 'SIGTERM');
  t.ok(await until(() => !pidAlive(pid)), 'SIGTERM: the shared shim is gone');
  t.notOk(fs.existsSync(door), 'its front door removed');
  const p4 = start('p4', pod);
  t.equal(p4.code, 0, p4.stderr);
  t.equal(p4.address, p2.address);
  t.ok(await until(() => accepts(door)), 'the pod shim now serves the front door');
  const p5 = start('p5', pod, NO_NODE);
  t.equal(p5.code, 0, p5.stderr);
  t.equal(p5.address, p2.address);

  // A dead front door (socket file, nobody listening): fall back, and a new shim takes it over.
  // (The keeper first: it would respawn the serving shim, which claims the door again.)
  process.kill(ppidOf(podPid), 'SIGKILL');
  process.kill(podPid, 'SIGKILL');
  t.ok(await until(() => !pidAlive(podPid)));
  t.ok(fs.existsSync(door), 'a killed shim leaves its front door behind');
  t.not(start('r4', b1, NO_NODE).code, 0, 'dead door: the fall-back, which needs node');
  const s5 = start('r5', b1);
  t.equal(s5.code, 0, s5.stderr);
  const pid5 = shimPid('r5');
  t.not(pid5, 0);
  t.ok(await until(() => accepts(door)), 'the new shim took the dead door over');
  t.equal(start('r6', b2, NO_NODE).address, s5.address);
  process.kill(pid5, 'SIGTERM');
  t.ok(await until(() => !pidAlive(pid5)));
  t.notOk(fs.existsSync(door));
});
