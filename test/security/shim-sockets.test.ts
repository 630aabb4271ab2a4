// The shim's sockets (issue 13 item 6): bound under umask 077 (never, even
// briefly, reachable by group or others), in a directory others cannot
// write, and every connection's peer is checked with SO_PEERCRED: root or
// the shim's own user, else the connection is closed unanswered.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import t from 'tap';
import { listenUnix } from '../../src/shim/address';
import { secureSocketDir } from '../../src/shim/peer';
import { TtrpcServer } from '../../src/shim/ttrpc/server';
import { Env } from '../helpers';

const env = new Env('shimsock');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

// A directory a non-root user can reach (the test's own is 0700).
fs.chmodSync(env.dir, 0o711);
const open = path.join(env.dir, 'open');
fs.mkdirSync(open, { mode: 0o755 });
fs.chmodSync(open, 0o755);

/** One ttrpc request (service "x", method "y") from `sock`; "REPLY" if a frame came back, else how it ended. */
const CLIENT = `
const net = require('net');
const body = Buffer.from([0x0a, 1, 0x78, 0x12, 1, 0x79]);
const head = Buffer.alloc(10); head.writeUInt32BE(body.length, 0); head.writeUInt32BE(1, 4); head[8] = 1; head[9] = 0;
const c = net.connect(process.argv[1]);
let got = 0;
c.on('connect', () => c.write(Buffer.concat([head, body])));
c.on('data', (d) => { got += d.length; if (got >= 10) { console.log('REPLY'); process.exit(0); } });
c.on('end', () => { console.log('EOF'); process.exit(0); });
c.on('error', (e) => { console.log('ERROR ' + e.code); process.exit(0); });
setTimeout(() => { console.log('TIMEOUT'); process.exit(0); }, 5000);
`;

/** Hung up on without an answer (the write may race the close). */
const REFUSED = /^(EOF|ERROR EPIPE|ERROR ECONNRESET)$/;

/** Async: the server under test runs in this very process, so a spawnSync would block it. */
function ask(sock: string, asNobody: boolean): Promise<string> {
  const argv = ['/usr/bin/node', '-e', CLIENT, sock];
  const [cmd = 'false', ...args] = asNobody
    ? ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups', ...argv]
    : argv;
  const p = spawn(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 15000,
    killSignal: 'SIGKILL',
    env: { PATH: '/usr/bin:/bin' },
  });
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => p.on('close', (code) => resolve(out.trim() || `status ${code} ${err}`)));
}

t.test("a non-root stranger's connection to the shim socket is refused; root is served", async (t) => {
  // Before: nothing checked the peer; with the socket reachable (a looser
  // mode or directory), uid 65534 got "REPLY" like root.
  const sock = path.join(open, 'ttrpc.sock');
  const server = new TtrpcServer();
  await server.listen({ path: sock });
  try {
    fs.chmodSync(sock, 0o666); // as if the file mode did not protect it
    t.equal(await ask(sock, false), 'REPLY', 'root gets an answer (UNIMPLEMENTED)');
    t.match(await ask(sock, true), REFUSED, 'uid 65534 is hung up on, unanswered');
  } finally {
    await server.close(true);
  }
});

t.test('the front door (listenUnix) refuses a stranger too', async (t) => {
  // Before: uid 65534's connection reached the handler ("REPLY").
  const sock = path.join(open, 'door.sock');
  const server = await listenUnix(sock, {}, (c) => c.end(Buffer.alloc(10)));
  try {
    fs.chmodSync(sock, 0o666);
    t.equal(await ask(sock, false), 'REPLY', 'root reaches the handler');
    t.match(await ask(sock, true), REFUSED, 'uid 65534 does not');
  } finally {
    server.close();
  }
});

const umaskBefore = process.umask();

t.test('sockets are created without group/other access: the mode at bind, before any chmod', async (t) => {
  // Before: under the default umask 022 the socket was bound 0755 and
  // chmod'ed to 0600 only after listen, a window in which others could connect.
  const a = path.join(open, 'a.sock');
  const s1 = await listenUnix(a);
  t.equal(
    fs.statSync(a).mode & 0o077,
    0,
    `listenUnix: mode ${(fs.statSync(a).mode & 0o777).toString(8)} as soon as it listens`,
  );
  await new Promise((r) => s1.close(r));
  const b = path.join(open, 'b.sock');
  const s2 = new TtrpcServer();
  await s2.listen({ path: b });
  t.equal(fs.statSync(b).mode & 0o077, 0, `TtrpcServer: mode ${(fs.statSync(b).mode & 0o777).toString(8)}`);
  await s2.close(true);
  const probe = path.join(open, 'probe');
  fs.writeFileSync(probe, '');
  t.equal(fs.statSync(probe).mode & 0o777, 0o666 & ~umaskBefore, 'the process umask is restored');
});

t.test('an existing socket directory others can write is tightened', async (t) => {
  // Before: /run/containerd/s was made 0700 only when carton created it;
  // an existing 0777 one was used as it was.
  const d = path.join(env.dir, 's');
  fs.mkdirSync(d);
  fs.chmodSync(d, 0o777);
  secureSocketDir(d);
  t.equal(fs.statSync(d).mode & 0o777, 0o755);
  const fresh = path.join(env.dir, 'fresh', 's');
  secureSocketDir(fresh);
  t.equal(fs.statSync(fresh).mode & 0o777, 0o700, 'made 0700');
});

t.test('connections a stranger opens do not count against a live client', async (t) => {
  // The peer check runs per connection; a refused one is closed at once.
  const sock = path.join(open, 'c.sock');
  const server = new TtrpcServer();
  await server.listen({ path: sock });
  try {
    fs.chmodSync(sock, 0o666);
    for (let i = 0; i < 3; i++) t.match(await ask(sock, true), REFUSED);
    await new Promise((r) => setTimeout(r, 100));
    t.equal(server.connections, 0, 'no stranger connection is kept');
    const c = net.connect(sock);
    await new Promise((r) => c.on('connect', r));
    await new Promise((r) => setTimeout(r, 100));
    t.equal(server.connections, 1, "root's connection is");
    c.destroy();
  } finally {
    await server.close(true);
  }
});
