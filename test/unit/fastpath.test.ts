// The fast path must agree with yargs on every argv it accepts, and leave
// everything else (help, unknown flags, bad counts) to yargs.
import t from 'tap';
import { parseWithYargs } from '../../src/cli';
import { fastParse } from '../../src/fastpath';

const ROOT = '/run/carton';
const G = ['--root', '/tmp/r', '--log', '/tmp/l.json', '--log-format', 'json'];

const accepted: string[][] = [
  ['state', 'c1'],
  [...G, 'state', 'c1'],
  ['--root=/x', '--log-format=text', '--debug', 'start', 'c1'],
  ['--systemd-cgroup', '--rootless', 'false', 'pause', 'c1'],
  ['--rootless=true', 'resume', 'c1'],
  [...G, 'kill', 'c1', '9'],
  [...G, 'kill', '--all', 'c1', '15'],
  ['kill', '-a', 'c1', 'SIGKILL'],
  ['kill', 'c1'],
  [...G, 'delete', 'c1'],
  [...G, 'delete', '--force', 'c1'],
  ['delete', '-f', 'c1'],
  ['list'],
  ['list', '--format', 'json'],
  ['list', '--format=json', '-q'],
  ['list', '-f', 'table'],
  ['--cgroup-manager', 'cgroupfs', 'list', '--quiet'],
  [...G, 'events', '--stats', 'c1'],
  ['events', 'c1'],
  [...G, 'ps', '--format', 'json', 'c1'],
  ['ps', 'c1', '-ef'],
  [...G, 'create', '--bundle', '/b', '--pid-file', '/b/init.pid', 'c1'],
  ['create', '-b', '/b', '--console-socket', '/s.sock', '--no-pivot', '--no-new-keyring', '--preserve-fds', '2', 'c1'],
  ['create', '--bundle=/b', '--preserve-fds=0', 'c1'],
  ['create', 'c1'],
  ['run', '-d', '-b', '/b', 'c1'],
  ['run', '--bundle', '/b', '--detach', '--no-subreaper', '--keep', '--pid-file', '/p', 'c1'],
];

const refused: string[][] = [
  ['state'],
  ['state', 'a', 'b'],
  ['state', '--help'],
  ['--help'],
  ['help'],
  ['state', '--bogus', 'c1'],
  ['--bogus', 'state', 'c1'],
  ['delete', '--force=true', 'c1'],
  ['list', '--format', 'yaml'],
  ['--log-format', 'xml', 'state', 'c1'],
  ['--root', 'state', 'c1'],
  ['delete', '-f', '-f', 'c1'],
  ['create', '--bundle', '/b'],
  ['create', '--preserve-fds', 'x', 'c1'],
  ['create', '--detach', 'c1'],
  ['run', '--bogus', 'c1'],
  ['events', '--interval', '1s', 'c1'],
  [],
];

t.test('accepted shapes parse exactly as yargs parses them', async (t) => {
  for (const argv of accepted) {
    const fast = fastParse(argv, ROOT);
    t.ok(fast, `fast path takes: ${argv.join(' ')}`);
    if (!fast) continue;
    const { chosen } = await parseWithYargs(argv);
    t.ok(chosen, `yargs chose a command for ${argv.join(' ')}`);
    const slow = chosen as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(fast.args)) {
      if (k === '_' && fast.command === 'ps') {
        // ps reads its own argv (rawArgv); its positionals are not used
        continue;
      } else if (k === '_') {
        t.same((v as unknown[]).map(String), (slow._ as unknown[]).map(String), `${argv.join(' ')}: positionals`);
      } else if (k === 'root' && !argv.some((x) => x.startsWith('--root'))) {
        t.equal(v, ROOT, `${argv.join(' ')}: default root`);
      } else {
        t.same(v, slow[k], `${argv.join(' ')}: ${k}`);
      }
    }
  }
});

t.test('everything else is left to yargs', async (t) => {
  for (const argv of refused) t.equal(fastParse(argv, ROOT), null, `falls back: ${argv.join(' ') || '(nothing)'}`);
});
