// process.terminal: the pty master goes over --console-socket exactly as
// runc sends it (one message, non-empty payload, one SCM_RIGHTS fd), and a
// foreground run with a terminal relays it.
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import { addon } from '../../src/native';
import { Env, receiveConsole, testSpec } from '../helpers';

const env = new Env('tty');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

function readUntil(fd: number, re: RegExp, ms = 5000): string {
  let text = '';
  const buf = Buffer.alloc(4096);
  const end = Date.now() + ms;
  while (!re.test(text) && Date.now() < end) {
    if (!addon().pollIn(fd, 100)) continue;
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch {
      break; // EIO: the slave side closed
    }
    if (n === 0) break;
    text += buf.subarray(0, n).toString('utf8');
  }
  return text;
}

t.test('create --console-socket sends the pty master; the container has a controlling tty', async (t) => {
  const sock = path.join(env.dir, 'console.sock');
  const got = receiveConsole(sock);
  await new Promise((r) => setTimeout(r, 50));
  const id = env.id();
  const b = env.bundle(
    testSpec(['sh'], (s) => {
      s.process!.terminal = true;
      s.process!.consoleSize = { height: 33, width: 111 };
    }),
  );
  const c = env.detached(['create', '--console-socket', sock, '--bundle', b, id]);
  t.equal(c.code, 0, c.stderr);
  const master = await got;
  t.ok(master > 0, 'received an fd');
  t.equal(fs.readlinkSync(`/proc/self/fd/${master}`), '/dev/pts/ptmx', 'it is a pty master');
  t.equal(env.carton(['start', id]).code, 0);
  fs.writeSync(
    master,
    'tty; stty size; readlink /proc/self/fd/0; echo console=$(stat -c %t:%T /dev/console) pts=$(stat -c %t:%T /dev/pts/0); exit 3\n',
  );
  const out = readUntil(master, /pts=\w+:\w+/);
  t.match(out, /\/dev\/pts\/0/, 'stdin is the pty slave');
  t.match(out, /33 111/, 'consoleSize applied');
  t.match(out, /console=88:0 pts=88:0/, '/dev/console is the pty slave (136:0)');
  fs.closeSync(master);
  for (let i = 0; i < 100 && env.state(id).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(env.state(id).status, 'stopped', 'shell exited');
  t.equal(env.carton(['delete', id]).code, 0);
});

t.test('run with a terminal in the foreground relays input and output and returns the status', async (t) => {
  const b = env.bundle(testSpec(['sh'], (s) => (s.process!.terminal = true)));
  const r = env.carton(['run', '--bundle', b, env.id()], { input: 'echo hello-$((6*7))\nexit 5\n' });
  t.equal(r.code, 5, r.stderr);
  t.match(r.stdout, /hello-42/);
});

t.test('run with a terminal is interactive in a real terminal (tmux): raw keys, window size and resizes', async (t) => {
  const { execFileSync } = await import('child_process');
  const sock = `carton-test-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', sock, ...args], { encoding: 'utf8' });
  const b = env.bundle(testSpec(['sh'], (s) => (s.process!.terminal = true)));
  const { CARTON } = await import('../helpers');
  tmux(
    'new-session',
    '-d',
    '-s',
    'c',
    '-x',
    '100',
    '-y',
    '30',
    `${CARTON} --root ${env.root} run --bundle ${b} ${env.id()}; echo EXIT=$?; sleep 30`,
  );
  t.teardown(() => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
  });
  const screen = () => tmux('capture-pane', '-t', 'c', '-p');
  const waitFor = async (re: RegExp) => {
    for (let i = 0; i < 100 && !re.test(screen()); i++) await new Promise((r) => setTimeout(r, 50));
    return screen();
  };
  await waitFor(/\/ # $/m);
  tmux('send-keys', '-t', 'c', 'stty size; echo $((6*7))', 'Enter');
  t.match(await waitFor(/^42$/m), /^30 100$/m, "the pty has the terminal's size");
  tmux('resize-window', '-t', 'c', '-x', '90', '-y', '25');
  await new Promise((r) => setTimeout(r, 200));
  tmux('send-keys', '-t', 'c', 'stty size; exit 4', 'Enter');
  const out = await waitFor(/EXIT=/);
  t.match(out, /^25 90$/m, 'a resize reaches the container');
  t.match(out, /EXIT=4/, 'the exit status comes back');
});
