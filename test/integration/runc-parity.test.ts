// runc parity that engines, scripts and users notice (issue 14): each test
// does the same steps with carton and, where it is cheap, with runc 1.1.5 in
// its own --root (test/runc-parity.ts), and compares what both did.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import type { Spec } from '../../src/spec/types';
import { CARTON, testSpec } from '../helpers';
import { runcParity } from '../runc-parity';

const { env, runcBin, runc, both, runcBundle, runcRun, skipRunc } = runcParity('parity');

t.test(
  "unknown or unavailable capabilities: dropped with runc's warning, for config and exec --cap",
  { skip: skipRunc },
  async (t) => {
    // Before: carton refused the config, 'config.json: /process/capabilities/bounding: unknown capability "CAP_UNKNOWN"'.
    const warning = /level=warning msg="ignoring unknown or unavailable capabilities: \[CAP_FOO CAP_UNKNOWN\]"/;
    const { id, rid, bundle } = both(
      testSpec(['sh', '-c', 'grep Cap /proc/self/status'], (s) => {
        const c = s.process!.capabilities!;
        c.bounding!.push('CAP_UNKNOWN', 'CAP_FOO');
        c.effective!.push('CAP_UNKNOWN');
        c.permitted!.push('CAP_UNKNOWN');
      }),
    );
    const c = env.carton(['run', '--bundle', bundle, id]);
    t.equal(c.code, 0, c.stderr);
    t.match(c.stderr, warning);
    const r = runc(['run', '--bundle', runcBundle(bundle, rid), rid]);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stderr, warning, 'runc says the same');
    t.equal(c.stdout, r.stdout, 'the same capability sets as runc');

    const e = both(testSpec(['sleep', '1000']));
    t.equal(env.detached(['run', '-d', '--bundle', e.bundle, e.id]).code, 0);
    const x = env.carton([
      'exec',
      '--cap',
      'CAP_UNKNOWN',
      '--cap',
      'CAP_NET_RAW',
      e.id,
      'grep',
      'CapEff',
      '/proc/self/status',
    ]);
    t.equal(x.code, 0, x.stderr);
    t.match(x.stderr, /ignoring unknown or unavailable capabilities: \[CAP_UNKNOWN\]/);
    t.match(x.stdout, /CapEff:\s*0000000020002420/, 'CAP_NET_RAW added, the unknown one dropped');
    t.equal(env.carton(['delete', '--force', e.id]).code, 0);
  },
);

t.test(
  "HOME from the container's /etc/passwd when the environment has none, for run and exec (as runc)",
  { skip: skipRunc },
  async (t) => {
    // Before: HOME was left unset ("HOME=[]" for every case below).
    const echo = ['sh', '-c', 'echo "HOME=[$HOME]"'];
    const cases: [string, (s: Spec) => void][] = [
      ['root', () => {}],
      ['uid 1 (daemon, /usr/sbin)', (s) => (s.process!.user!.uid = 1)],
      ['uid 1234, no entry', (s) => (s.process!.user!.uid = 1234)],
      ['HOME= empty', (s) => s.process!.env!.push('HOME=')],
      ['HOME=/x then HOME=', (s) => s.process!.env!.push('HOME=/x', 'HOME=')],
      ['HOME=/x kept', (s) => s.process!.env!.push('HOME=/x')],
    ];
    const got: string[] = [];
    const want: string[] = [];
    for (const [name, edit] of cases) {
      const { id, rid, bundle } = both(testSpec(echo, edit));
      got.push(`${name}: ${env.carton(['run', '--bundle', bundle, id]).stdout.trim()}`);
      want.push(`${name}: ${runc(['run', '--bundle', runcBundle(bundle, rid), rid]).stdout.trim()}`);
    }
    const { id, rid, bundle } = both(testSpec(['sleep', '1000'], (s) => s.process!.env!.push('HOME=/x')));
    t.equal(env.detached(['run', '-d', '--bundle', bundle, id]).code, 0);
    t.equal(runcRun(bundle, rid).code, 0);
    for (const extra of [[], ['--env', 'HOME='], ['-u', '1', '--env', 'HOME=']]) {
      got.push(`exec ${extra.join(' ')}: ${env.carton(['exec', ...extra, id, ...echo]).stdout.trim()}`);
      want.push(`exec ${extra.join(' ')}: ${runc(['exec', ...extra, rid, ...echo]).stdout.trim()}`);
    }
    t.same(got, want, 'the same HOME as runc in every case');
    t.same(got, [
      'root: HOME=[/root]',
      'uid 1 (daemon, /usr/sbin): HOME=[/usr/sbin]',
      'uid 1234, no entry: HOME=[/]',
      'HOME= empty: HOME=[/root]',
      'HOME=/x then HOME=: HOME=[/root]',
      'HOME=/x kept: HOME=[/x]',
      'exec : HOME=[/x]',
      'exec --env HOME=: HOME=[/root]',
      'exec -u 1 --env HOME=: HOME=[/usr/sbin]',
    ]);
    t.equal(env.carton(['delete', '--force', id]).code, 0);
  },
);

t.test('HOME: a hostile /etc/passwd (FIFO, magic link, huge) gives "/" and never hangs init', async (t) => {
  const fifo = path.join(env.dir, 'passwd-fifo');
  spawnSync('mkfifo', [fifo]);
  const etc = path.join(env.dir, 'etc-link');
  fs.mkdirSync(etc);
  fs.symlinkSync('/proc/self/fd/0', path.join(etc, 'passwd'));
  const huge = path.join(env.dir, 'passwd-huge');
  fs.writeFileSync(huge, 'x'.repeat(2 << 20) + '\nroot:x:0:0:root:/huge:/bin/sh\n');
  const cases: [string, (s: Spec) => void][] = [
    ['FIFO', (s) => s.mounts!.push({ destination: '/etc/passwd', type: 'bind', source: fifo, options: ['bind'] })],
    [
      'link to /proc/self/fd/0',
      (s) => s.mounts!.push({ destination: '/etc', type: 'bind', source: etc, options: ['bind'] }),
    ],
    [
      'over 1 MiB',
      (s) => s.mounts!.push({ destination: '/etc/passwd', type: 'bind', source: huge, options: ['bind'] }),
    ],
  ];
  // init's stdin is a regular file with a passwd line: through the magic
  // link it would give HOME=/stdin (seen with a plain open in home.cc).
  const stdin = path.join(env.dir, 'stdin-passwd');
  fs.writeFileSync(stdin, 'root:x:0:0:root:/stdin:/bin/sh\n');
  for (const [name, edit] of cases) {
    const id = env.id();
    const fd = fs.openSync(stdin, 'r');
    const r = spawnSync(
      CARTON,
      ['--root', env.root, 'run', '--bundle', env.bundle(testSpec(['sh', '-c', 'echo "HOME=[$HOME]"'], edit)), id],
      { stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8', timeout: 30000 },
    );
    fs.closeSync(fd);
    t.equal(r.status, 0, `${name}: ${r.stderr}`);
    t.equal(r.stdout.trim(), 'HOME=[/]', name);
  }
});

t.test(
  "help: runc's NAME/USAGE/OPTIONS sections; an unknown command is an error, exit 3 as runc",
  { skip: skipRunc },
  async (t) => {
    // Before: `carton foo -h` printed yargs' help and exited 0; no NAME:/USAGE: sections anywhere.
    const sections = (text: string) => text.split('\n').filter((l) => /^[A-Z][A-Z ]+:$/.test(l));
    for (const argv of [['help'], ['-h'], ['--help'], []]) {
      const c = env.carton(argv, { globals: [] });
      t.equal(c.code, 0, `carton ${argv.join(' ')}`);
      t.same(sections(c.stdout), sections(runc(argv).stdout), `carton ${argv.join(' ')}: runc's sections`);
      t.match(c.stdout, /^NAME:\n {3}carton - Open Container Initiative runtime$/m);
    }
    const commandsOf = (text: string) =>
      (text.split(/^COMMANDS:$/m)[1] ?? '')
        .split(/^\S/m)[0]
        ?.match(/^ {3}\S+/gm)!
        .map((s) => s.trim())
        .sort();
    t.same(
      commandsOf(env.carton(['help'], { globals: [] }).stdout),
      commandsOf(runc(['help']).stdout),
      'the same commands as runc',
    );
    // Options carton spells elsewhere: spec's --rootless is a global option;
    // restore always fails (no CRIU here), so it has no LSM flags.
    const elsewhere = new Set(['spec --rootless', 'restore --lsm-profile', 'restore --lsm-mount-context']);
    for (const cmd of [
      'checkpoint',
      'create',
      'delete',
      'events',
      'exec',
      'kill',
      'list',
      'pause',
      'ps',
      'restore',
      'resume',
      'run',
      'spec',
      'start',
      'state',
      'update',
      'features',
    ]) {
      const c = env.carton([cmd, '-h'], { globals: [] }).stdout;
      const r = runc([cmd, '-h']).stdout;
      for (const form of [
        [cmd, '--help'],
        ['help', cmd],
      ]) {
        const o = env.carton(form, { globals: [] });
        t.equal(o.code, 0, `carton ${form.join(' ')}`);
        t.equal(o.stdout, c, `carton ${form.join(' ')} is carton ${cmd} -h`);
      }
      t.equal(
        c.split('\n')[1],
        (r.split('\n')[1] ?? '').replace('runc', 'carton').replace('started by runc', 'started by carton'),
        `${cmd}: NAME line`,
      );
      t.same(
        sections(c),
        sections(r).filter((s) => ['NAME:', 'USAGE:', 'OPTIONS:'].includes(s)),
        `${cmd}: NAME, USAGE(, OPTIONS) as runc`,
      );
      t.equal(
        c.split('\n')[4],
        (r.split('\n')[4] ?? '').replace('runc', 'carton').trimEnd(),
        `${cmd}: runc's USAGE line`,
      );
      const flags = (text: string) =>
        (text.split(/^OPTIONS:$/m)[1] ?? '').match(/^ {3}--[a-z-]+/gm)?.map((s) => s.trim()) ?? [];
      const missing = flags(r).filter((f) => !flags(c).includes(f) && !elsewhere.has(`${cmd} ${f}`));
      t.same(missing, [], `${cmd}: every runc option is in carton's help`);
    }
    for (const argv of [['foo', '-h'], ['foo'], ['help', 'foo']]) {
      const c = env.carton(argv, { globals: [] });
      const r = runc(argv);
      t.equal(c.code, 3, `carton ${argv.join(' ')}`);
      t.equal(c.code, r.code, "runc's exit status");
      t.match(c.stderr, /No help topic for 'foo'/);
    }
    // The container's -h is not carton's.
    t.match(env.carton(['exec', 'nosuch', 'sh', '-h']).stderr, /container does not exist/);
  },
);

t.test("SCMP_ACT_NOTIFY on write: the agent's answer is what write returns; no agent: runc's wording", async (t) => {
  const sock = path.join(env.dir, 'wagent.sock');
  const out = path.join(env.dir, 'wagent.json');
  const agent = spawn('python3', [path.join(__dirname, '..', 'fixtures', 'seccomp-agent.py'), sock, out, '1'], {
    stdio: 'inherit',
  });
  t.teardown(() => {
    if (agent.exitCode === null) agent.kill('SIGKILL');
  });
  for (let i = 0; i < 500 && !fs.existsSync(`${out}.ready`); i++) await new Promise((r) => setTimeout(r, 10));
  const notify = (listenerPath: string, names: string[]) => (s: Spec) => {
    s.linux!.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath,
      syscalls: [{ names, action: 'SCMP_ACT_NOTIFY' }],
    };
  };
  // Every write(2) of the shell fails with the agent's EPERM, so the file
  // stays empty and `test -s` says so in the exit status.
  const id = env.id();
  const r = env.carton([
    'run',
    '--bundle',
    env.bundle(testSpec(['sh', '-c', 'echo hello > /dev/shm/x; test -s /dev/shm/x'], notify(sock, ['write']))),
    id,
  ]);
  t.equal(r.code, 1, `write failed inside: ${r.stderr}`);
  t.equal(r.stdout, '');
  t.match(fs.readFileSync(`${out}.handled`, 'utf8'), /^[1-9]\d* 1\n/, 'write (nr 1) reached the agent, which answered');

  // runc refuses NOTIFY on write ("cannot be used for the write syscall"): compare on mkdir.
  const missing = path.join(env.dir, 'no-agent.sock');
  const want = `failed to connect with seccomp agent specified in the seccomp profile: dial unix ${missing}: connect: no such file or directory`;
  const { id: cid, rid, bundle } = both(testSpec(['mkdir', '/tmp/x'], notify(missing, ['mkdir', 'mkdirat'])));
  const c = env.carton(['run', '--bundle', bundle, cid]);
  t.equal(c.code, 1);
  t.equal(c.stderr.trim(), `carton: config.json: /linux/seccomp/listenerPath: ${want}`);
  if (runcBin) {
    const rr = runc(['run', '--bundle', runcBundle(bundle, rid), rid]);
    t.equal(rr.code, 1);
    t.ok(rr.stderr.includes(want), `runc: ${rr.stderr.trim()}`);
  }
});

t.test(
  "tmpcopyup: a tmpfs with a copy of the image's files; modes and owners kept; symlinks copied, never followed",
  async (t) => {
    // Before: 'config.json: /mounts/7 (/data): mount option "tmpcopyup" is not supported by this version of carton'.
    const src = path.join(env.dir, 'copyup-src');
    fs.mkdirSync(path.join(src, 'd'), { recursive: true });
    fs.writeFileSync(path.join(src, 'a'), 'image file a\n');
    fs.chmodSync(path.join(src, 'a'), 0o640);
    fs.chownSync(path.join(src, 'a'), 1000, 1001);
    fs.writeFileSync(path.join(src, 'd', 'b'), 'bbb\n');
    fs.chmodSync(path.join(src, 'd'), 0o710);
    fs.chownSync(path.join(src, 'd'), 2, 3);
    fs.symlinkSync('/out/secret', path.join(src, 'abs'));
    fs.symlinkSync('../../../../../out', path.join(src, 'up'));
    spawnSync('mkfifo', [path.join(src, 'p')]);
    // What the links would reach if followed: must not be copied.
    const outside = path.join(env.dir, 'copyup-out');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'secret'), 'host secret\n');
    const script =
      'cd /data && for f in a d d/b abs up p; do stat -c "%n %a %u:%g %F" $f; done; readlink abs; readlink up; cat a d/b; grep " /data " /proc/self/mountinfo | cut -d" " -f9 | tail -1; echo new > /data/new && cat /data/new';
    const { id, rid, bundle } = both(
      testSpec(['sh', '-c', script], (s) => {
        // to read the 0640 file owned by someone else
        for (const set of ['bounding', 'effective', 'permitted'] as const)
          s.process!.capabilities![set]!.push('CAP_DAC_OVERRIDE');
        s.mounts!.push({ destination: '/out', type: 'bind', source: outside, options: ['bind', 'ro'] });
        s.mounts!.push({ destination: '/data', type: 'bind', source: src, options: ['bind', 'ro'] });
        s.mounts!.push({
          destination: '/data',
          type: 'tmpfs',
          source: 'tmpfs',
          options: ['nosuid', 'nodev', 'tmpcopyup', 'mode=755'],
        });
      }),
    );
    const c = env.carton(['run', '--bundle', bundle, id]);
    t.equal(c.code, 0, c.stderr);
    t.equal(
      c.stdout,
      [
        'a 640 1000:1001 regular file',
        'd 710 2:3 directory',
        'd/b 644 0:0 regular file',
        'abs 777 0:0 symbolic link',
        'up 777 0:0 symbolic link',
        'p 644 0:0 fifo',
        '/out/secret',
        '../../../../../out',
        'image file a',
        'bbb',
        'tmpfs',
        'new',
        '',
      ].join('\n'),
    );
    t.equal(fs.readdirSync(src).sort().join(' '), 'a abs d p up', 'the source is untouched');
    // No runc comparison: runc 1.1.5 fails on the fifo ("tmpcopyup: failed to
    // copy /data ...: lchown .../p: no such file or directory").
    void rid;
  },
);

t.test('--debug says what is done: cgroups, namespaces, mounts, process, hooks; nothing without --debug', async (t) => {
  // Before: only "phase X at Nms" lines and "init spawned by ...".
  const log = path.join(env.dir, 'describe.json');
  const id = env.id();
  const spec = testSpec(['true'], (s) => (s.hooks = { prestart: [{ path: '/bin/true', args: ['true', 'x'] }] }));
  const r = env.carton(['run', '--bundle', env.bundle(spec), id], {
    globals: ['--root', env.root, '--log', log, '--log-format', 'json', '--debug'],
  });
  t.equal(r.code, 0, r.stderr);
  const msgs = fs
    .readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { level: string; msg: string })
    .filter((x) => x.level === 'debug')
    .map((x) => x.msg);
  const has = (re: RegExp, what: string) =>
    t.ok(
      msgs.some((m) => re.test(m)),
      `${what}: ${re}`,
    );
  has(new RegExp(`^cgroups: \\w+ layout, .*/carton/${id}\\b`), 'the cgroup directories');
  has(/^namespaces: new pid, network, mount, ipc, uts/, 'the namespaces');
  has(/^rootfs: .*rootfs \(read-only\), entered with pivot_root$/, 'the rootfs');
  has(/^mount: proc on \/proc$/, 'each mount');
  has(/^mount: tmpfs on \/dev \(nosuid,mode=755,size=65536k\)$/, 'with its options');
  has(
    /^process: \["true"\] in \/ as 0:0, effective capabilities CAP_KILL,CAP_NET_BIND_SERVICE,CAP_AUDIT_WRITE, no_new_privs$/,
    'the process',
  );
  has(/^hooks: prestart 1$/, 'the hooks');
  has(/^running prestart hook #0: \["true","x"\] \(\/bin\/true\)$/, 'each hook as it runs');
  const quiet = path.join(env.dir, 'quiet.json');
  t.equal(
    env.carton(['run', '--bundle', env.bundle(spec), env.id()], {
      globals: ['--root', env.root, '--log', quiet, '--log-format', 'json'],
    }).code,
    0,
  );
  t.notOk(
    fs.existsSync(quiet) && fs.readFileSync(quiet, 'utf8').includes('"debug"'),
    'no debug records without --debug',
  );
});
