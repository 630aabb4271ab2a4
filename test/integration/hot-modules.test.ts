// "state, list, kill and start load nothing they do not use" (issue 15), seen
// from outside: with CARTON_DEBUG_MODULES=1 every carton process lists, on
// stderr before it exits, each module file the runtime loaded (src/finish.ts).
// The shipped executable (src/standalone.ts) must run a fast-path command from
// its own bundle: never the full CLI (carton.js, which holds every command
// and the help), yargs or the schema validators, and the addon only where the
// command needs it. A usage error must still reach the full CLI, so that its
// wording stays yargs'. Under CARTON_TEST_NODE=1 (bin/carton, one bundle) only
// the addon part can be checked.
import * as path from 'path';
import t from 'tap';
import { CARTON, Env, testSpec } from '../helpers';

const env = new Env('hotmod');
t.teardown(() => {
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

const shipped = path.basename(CARTON) === 'carton' && path.basename(path.dirname(CARTON)) === 'dist';
const DEBUG = { ...process.env, CARTON_DEBUG_MODULES: '1' };

/** The module files a carton command line loaded (basenames), and its result. */
function modules(args: string[]): { files: string[]; code: number | null; stderr: string } {
  const r = env.carton(args, { env: DEBUG });
  const files = [...r.stderr.matchAll(/^carton: module (.+)$/gm)].map((m) => path.basename(m[1] ?? ''));
  return { files, code: r.code, stderr: r.stderr };
}

const FULL = ['carton.js', 'yargs.js', 'validators.js'];

t.test('hot commands load their own bundle and nothing else', async (t) => {
  const b = env.bundle(testSpec(['sleep', '1000']));
  const id = env.id();
  const c = env.detached(['create', '--bundle', b, id]);
  t.equal(c.code, 0, `create: ${c.stderr}`);
  env.state(id);

  const cases: Array<{ args: string[]; own: string; addon: boolean }> = [
    { args: ['state', id], own: 'hot-state.js', addon: false },
    { args: ['list'], own: 'hot-list.js', addon: false },
    { args: ['list', '--format', 'json'], own: 'hot-list.js', addon: false },
    // start locks the state (flock) and polls the exec fifo, kill signals
    // through a pidfd so that a recycled pid is never hit: both need the addon
    { args: ['start', id], own: 'hot-start.js', addon: true },
    { args: ['kill', id, 'KILL'], own: 'hot-kill.js', addon: true },
  ];
  for (const { args, own, addon } of cases) {
    const m = modules(args);
    t.equal(m.code, 0, `${args.join(' ')}: ${m.stderr}`);
    if (shipped) {
      t.ok(m.files.length > 0, `${args.join(' ')} listed its modules`);
      t.ok(m.files.includes(own), `${args.join(' ')} ran ${own}: ${m.files.join(' ')}`);
      for (const f of FULL) t.notOk(m.files.includes(f), `${args.join(' ')} did not load ${f}`);
      t.notOk(
        m.files.some((f) => f.startsWith('hot-') && f !== own),
        `${args.join(' ')}: no other command's bundle`,
      );
    }
    t.equal(m.files.includes('carton.node'), addon, `${args.join(' ')} ${addon ? 'loaded' : 'did not load'} the addon`);
  }
  const d = modules(['delete', '--force', id]);
  t.equal(d.code, 0, d.stderr);
});

t.test('anything the fast parser does not take goes to the full CLI, with its wording', async (t) => {
  const bad = modules(['state', 'a', 'b']);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /"state" requires exactly 1 argument\(s\)/);
  const flag = modules(['list', '--bogus']);
  t.not(flag.code, 0);
  const help = modules(['state', '--help']);
  t.equal(help.code, 0);
  if (shipped)
    for (const r of [bad, flag, help]) t.ok(r.files.includes('carton.js'), `full CLI loaded: ${r.files.join(' ')}`);
  // a container that does not exist is the hot bundle's own error, not a parse error
  const missing = modules(['state', 'no-such-container']);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /container does not exist/);
  if (shipped) t.notOk(missing.files.includes('carton.js'), 'state of a missing container stays hot');
});
