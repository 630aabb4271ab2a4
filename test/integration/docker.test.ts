// docker 20.10 (Debian's docker.io) on a dockerd started by this test with
// `runtimes.carton` pointing at CARTON (dist/carton), its own data-root, exec-root,
// pidfile and socket in a temp dir, and its own containerd (docker's
// self-started one would write to /opt/containerd). No network: the host has
// no bridge/iptables for it. The image is `docker import`ed from the busybox
// rootfs. Where it is cheap the same step runs with runc and is compared.
// Host quirks: ../shared/reference/engines-on-this-host.md.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import t from 'tap';
import {
  killShims,
  rmdirIfEmpty,
  sleep,
  startContainerd,
  startDaemon,
  stopDaemon,
  unmountUnder,
  waitFor,
} from '../engines';
import { CARTON, Env, ROOTFS } from '../helpers';

const env = new Env('docker');
const dir = env.dir;
// /usr/local/bin/docker on these machines is a different client: use Debian's explicitly.
const dockerBin = fs.existsSync('/usr/bin/docker') ? '/usr/bin/docker' : undefined;
const dockerdBin = ['/usr/sbin/dockerd', '/usr/bin/dockerd'].find((p) => fs.existsSync(p));
const containerdBin = ['/usr/bin/containerd', '/usr/local/bin/containerd'].find((p) => fs.existsSync(p));
const runcBin = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => fs.existsSync(p));
const SOCK = path.join(dir, 'docker.sock');
const IMG = 'localhost/busybox-import:latest';
// Host directories dockerd creates whatever it is told; removed afterwards only if they were not there before.
const cgroupParents = fs
  .readdirSync('/sys/fs/cgroup')
  .map((h) => path.join('/sys/fs/cgroup', h, 'docker'))
  .filter((d) => !fs.existsSync(d));
const hostDirs = [
  '/run/docker/plugins',
  '/run/docker',
  '/run/containerd/fifo',
  '/run/containerd/s',
  '/run/containerd',
].filter((d) => !fs.existsSync(d));
let containerd: { pid: number; sock: string } | undefined;
let dockerdPid = 0;

interface Out {
  code: number | null;
  stdout: string;
  stderr: string;
}

function docker(args: string[], opts: { input?: Buffer | string; timeout?: number } = {}): Out {
  const r = spawnSync(dockerBin!, ['-H', `unix://${SOCK}`, ...args], {
    encoding: 'utf8',
    input: opts.input,
    timeout: opts.timeout ?? 60000,
    maxBuffer: 64 << 20,
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

const run = (runtime: 'carton' | 'runc'): string[] => ['--runtime', runtime, '--network', 'none'];

t.teardown(async () => {
  if (dockerdPid) {
    const ids = docker(['ps', '-aq']).stdout.split('\n').filter(Boolean);
    if (ids.length) docker(['rm', '--force', ...ids]);
    await stopDaemon(dockerdPid);
  }
  if (containerd) {
    killShims(containerd.sock, [containerd.pid]);
    await stopDaemon(containerd.pid);
  }
  await sleep(100);
  unmountUnder(dir);
  rmdirIfEmpty(cgroupParents);
  rmdirIfEmpty(hostDirs);
  const leaks = env.cleanup();
  if (leaks.length) throw new Error(`leaks: ${leaks.join('; ')}`);
});

if (!dockerBin || !dockerdBin || !containerdBin) {
  t.test(
    'docker',
    { skip: 'docker.io or containerd is not installed (scripts/setup.sh installs them)' },
    async () => {},
  );
} else {
  t.before(async () => {
    containerd = await startContainerd(containerdBin, dir);
    fs.writeFileSync(
      path.join(dir, 'daemon.json'),
      JSON.stringify({
        'data-root': `${dir}/data`,
        'exec-root': `${dir}/exec`,
        pidfile: `${dir}/docker.pid`,
        hosts: [`unix://${SOCK}`],
        containerd: containerd.sock,
        bridge: 'none',
        iptables: false,
        ip6tables: false,
        'ip-masq': false,
        // No CAP_SYS_RESOURCE here: a negative score cannot be set.
        'oom-score-adjust': 0,
        'storage-driver': 'vfs',
        'deprecated-key-path': `${dir}/key.json`,
        runtimes: { carton: { path: CARTON } },
      }),
    );
    dockerdPid = await startDaemon(
      dockerdBin,
      ['--config-file', path.join(dir, 'daemon.json')],
      path.join(dir, 'dockerd.log'),
    );
    await waitFor(SOCK, path.join(dir, 'dockerd.log'));
    for (let i = 0; i < 100 && docker(['version']).code !== 0; i++) await sleep(100);
  });

  t.test('docker import of the busybox rootfs', async (t) => {
    const tar = spawnSync('tar', ['-C', ROOTFS, '-c', '.'], { maxBuffer: 64 << 20 });
    t.equal(tar.status, 0);
    const r = docker(['import', '-', IMG], { input: tar.stdout, timeout: 120000 });
    t.equal(r.code, 0, r.stderr);
    t.match(docker(['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout, IMG);
  });

  t.test('docker run --runtime carton: output and exit status, same as with runc', async (t) => {
    const script = 'echo hello; id; readlink /proc/1/exe; exit 7';
    const c = docker(['run', '--rm', ...run('carton'), IMG, 'sh', '-c', script]);
    t.equal(c.code, 7, c.stderr);
    t.match(c.stdout, /^hello\nuid=0\(root\) gid=0\(root\)[^\n]*\n\/bin\/busybox\n$/);
    if (runcBin) {
      const r = docker(['run', '--rm', ...run('runc'), IMG, 'sh', '-c', script]);
      t.same([c.code, c.stdout], [r.code, r.stdout], 'same as with runc');
    }
    const bad = docker(['run', '--rm', ...run('carton'), IMG, 'no-such-command']);
    t.equal(bad.code, 127, 'docker maps carton\'s "executable file not found" to 127, as for runc');
    t.match(bad.stderr, 'executable file not found in $PATH');
  });

  t.test('docker run -d, exec, top, stop, restart', async (t) => {
    const name = `dk-${process.pid}`;
    const d = docker([
      'run',
      '-d',
      '--name',
      name,
      ...run('carton'),
      IMG,
      'sh',
      '-c',
      'trap "exit 0" TERM; echo started; while :; do sleep 0.1; done',
    ]);
    t.equal(d.code, 0, d.stderr);
    t.equal(docker(['inspect', '-f', '{{.HostConfig.Runtime}}', name]).stdout.trim(), 'carton');

    const e = docker([
      'exec',
      name,
      'sh',
      '-c',
      'echo exec-$((6*7)); readlink /proc/1/ns/pid; readlink /proc/self/ns/pid',
    ]);
    t.equal(e.code, 0, e.stderr);
    const [out, ns1, nsSelf] = e.stdout.trim().split('\n');
    t.equal(out, 'exec-42');
    t.equal(nsSelf, ns1, "the exec'd process is in the container's pid namespace");
    t.equal(docker(['exec', name, 'sh', '-c', 'exit 3']).code, 3, 'exec exit status');
    const nope = docker(['exec', name, 'nope']);
    t.not(nope.code, 0, 'exec of a missing command fails');
    t.match(nope.stdout + nope.stderr, 'executable file not found in $PATH');
    if (runcBin) {
      const rn = `dkr-${process.pid}`;
      t.equal(docker(['run', '-d', '--name', rn, ...run('runc'), IMG, 'sleep', '100']).code, 0);
      t.equal(nope.code, docker(['exec', rn, 'nope']).code, 'with the exit status docker gives for runc');
      docker(['rm', '--force', rn]);
    }
    const tty = spawnSync('script', ['-qec', `${dockerBin} -H unix://${SOCK} exec -t ${name} tty`, '/dev/null'], {
      encoding: 'utf8',
      timeout: 30000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.match(tty.stdout, /\/dev\/pts\/\d+/, 'exec -t gets a pty');

    const top = docker(['top', name]);
    t.equal(top.code, 0, top.stderr);
    t.match(top.stdout, /sh -c trap/, 'docker top lists the container process (carton ps)');

    const s = docker(['stop', '-t', '5', name]);
    t.equal(s.code, 0, s.stderr);
    t.equal(
      docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name]).stdout.trim(),
      'exited 0',
      'stopped by SIGTERM, clean exit',
    );

    const pid1 = docker(['inspect', '-f', '{{.State.Pid}}', name]).stdout.trim();
    const r = docker(['restart', '-t', '5', name]);
    t.equal(r.code, 0, r.stderr);
    const [status, pid2] = docker(['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', name]).stdout.trim().split(' ');
    t.equal(status, 'running', 'restarted');
    t.not(pid2, pid1);
    t.equal(docker(['exec', name, 'echo', 'again']).stdout, 'again\n', 'and usable');
    t.equal(docker(['logs', name]).stdout, 'started\nstarted\n', 'both runs logged');
    const k = docker(['kill', name]);
    t.equal(k.code, 0, k.stderr);
    t.equal(docker(['wait', name]).stdout.trim(), '137', 'docker kill: SIGKILL, 137');
    t.equal(docker(['rm', name]).code, 0);
  });

  t.test('docker run -t through a terminal', async (t) => {
    const r = spawnSync(
      'script',
      [
        '-qec',
        `${dockerBin} -H unix://${SOCK} run --rm -t --runtime carton --network none ${IMG} sh -c 'tty; exit 5'`,
        '/dev/null',
      ],
      { encoding: 'utf8', timeout: 30000, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    t.equal(r.status, 5, r.stderr);
    t.match(r.stdout, /\/dev\/pts\/0/);
  });
}
