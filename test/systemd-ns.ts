// A real systemd as PID 1, for the systemd cgroup driver's tests on a host
// whose PID 1 is not systemd: Debian's /lib/systemd/systemd started in new
// pid, mount, cgroup, network, uts and ipc namespaces, in a test parent cgroup
// of its own in every hierarchy. Its cgroup namespace is rooted at that
// parent, and it sees fresh mounts of the hierarchies (made in its private
// mount namespace), so everything systemd creates stays below the parent;
// the host's hierarchies are never remounted. It boots an empty target, so
// no service starts. carton runs "inside" through nsenter, as a user of a
// systemd machine would.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { hostLayout } from '../src/cgroups/mounts';
import { sleep, treeDirs } from './engines';
import { CARTON } from './helpers';

export const SYSTEMD = '/lib/systemd/systemd';

const SCRIPT = `#!/bin/bash
set -e
mount --make-rprivate /
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/systemd/system
printf '[Unit]\\nDescription=carton systemd driver test\\n' > /run/systemd/system/carton-test.target
mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup
for spec in "$@"; do
  dir=\${spec%%:*} opts=\${spec#*:}
  mkdir -p "/sys/fs/cgroup/$dir"
  if [ "$opts" = cgroup2 ]; then mount -t cgroup2 cgroup2 "/sys/fs/cgroup/$dir"; else mount -t cgroup -o "$opts" cgroup "/sys/fs/cgroup/$dir"; fi
done
mount -t proc proc /proc
exec env -i container=carton-test PATH=/usr/sbin:/usr/bin:/sbin:/bin ${SYSTEMD} --unit=carton-test.target --log-target=console --log-level=warning
`;

export class SystemdNs {
  pid = 0;
  private unsharePid = 0;
  private n = 0;
  /** the test parent cgroup's directory in each host hierarchy */
  readonly parents: string[] = [];
  private readonly specs: string[] = [];

  constructor(
    readonly dir: string,
    readonly name: string,
  ) {
    const layout = hostLayout();
    for (const h of layout.v1) {
      const opts = h.controllers.map((c) => (c.startsWith('name=') ? `none,${c}` : c)).join(',');
      this.specs.push(`${path.basename(h.mountPoint)}:${opts}`);
      this.parents.push(path.join(h.mountPoint, name));
    }
    // hybrid (or v1): cgroup2, if any, is a mount beside the v1 ones; a pure-v2 host is not handled (the tests skip it)
    if (layout.unified) {
      this.specs.push(`${path.basename(layout.unified.mountPoint)}:cgroup2`);
      this.parents.push(path.join(layout.unified.mountPoint, name));
    }
  }

  /** Starts systemd and waits until it answers on its private socket. */
  async start(): Promise<void> {
    for (const p of this.parents) {
      fs.mkdirSync(p, { recursive: true });
      // a v1 cpuset cgroup takes no task until it has cpus and mems
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        if (fs.existsSync(path.join(p, f)))
          fs.writeFileSync(path.join(p, f), fs.readFileSync(path.join(path.dirname(p), f), 'utf8').trim());
      }
    }
    const script = path.join(this.dir, 'systemd-ns.sh');
    fs.writeFileSync(script, SCRIPT, { mode: 0o755 });
    // The shell joins the parents, then unshare makes them its cgroup namespace's root.
    const join = this.parents.map((p) => `echo $$ > ${p}/cgroup.procs`).join('; ');
    const log = fs.openSync(path.join(this.dir, 'systemd.log'), 'w');
    const child = spawn(
      'bash',
      [
        '-c',
        `${join}; exec unshare --mount --pid --fork --cgroup --net --uts --ipc ${script} "$@"`,
        'bash',
        ...this.specs,
      ],
      {
        stdio: ['ignore', log, log],
        detached: true,
      },
    );
    fs.closeSync(log);
    child.unref();
    this.unsharePid = child.pid!;
    // systemd is unshare's child: find it by its parent.
    for (let i = 0; i < 100 && !this.pid; i++) {
      await sleep(50);
      const kids = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
      if (kids) this.pid = Number(kids.split(' ')[0]);
    }
    for (let i = 0; i < 200; i++) {
      if (this.pid && this.systemctl(['is-system-running']).stdout.trim() === 'running') return;
      await sleep(50);
    }
    throw new Error(
      `systemd did not come up: ${fs.readFileSync(path.join(this.dir, 'systemd.log'), 'utf8').slice(-500)}`,
    );
  }

  /**
   * A command in all of systemd's namespaces. Its output goes to files: a
   * container it starts inherits them, and a pipe would stay open as long
   * as the container lives.
   */
  run(cmd: string[]): { code: number | null; stdout: string; stderr: string } {
    const out = path.join(this.dir, `ns-out-${++this.n}`);
    const err = `${out}.err`;
    const fds = [fs.openSync(out, 'w+'), fs.openSync(err, 'w+')];
    const r = spawnSync('nsenter', ['-t', String(this.pid), '-a', '--', ...cmd], {
      stdio: ['ignore', fds[0], fds[1]],
      timeout: 60000,
    });
    fds.forEach((fd) => fs.closeSync(fd));
    const res = { code: r.status, stdout: fs.readFileSync(out, 'utf8'), stderr: fs.readFileSync(err, 'utf8') };
    fs.rmSync(out);
    fs.rmSync(err);
    return res;
  }

  systemctl(args: string[]) {
    return this.run(['systemctl', ...args]);
  }

  carton(root: string, args: string[]) {
    return this.run([CARTON, '--systemd-cgroup', '--root', root, ...args]);
  }

  /** The host directory of a cgroup path as systemd (inside) sees it, in the hierarchy mounted at `mount`. */
  hostDir(mount: string, cgPath: string): string {
    const p = this.parents.find((x) => path.dirname(x) === mount);
    if (!p) throw new Error(`no hierarchy at ${mount}`);
    return path.join(p, cgPath);
  }

  /** Kills systemd (and with it everything in its pid namespace) and removes the test parents; returns what was left. */
  async stop(): Promise<string[]> {
    for (const p of [this.pid, this.unsharePid]) {
      try {
        if (p) process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (let i = 0; i < 100 && this.pid && fs.existsSync(`/proc/${this.pid}`); i++) await sleep(50);
    const left: string[] = [];
    for (const top of this.parents) {
      for (const d of treeDirs(top)) {
        for (let i = 0; ; i++) {
          try {
            fs.rmdirSync(d);
            break;
          } catch (e) {
            if (i >= 50) {
              left.push(`${d}: ${(e as Error).message}`);
              break;
            }
            await sleep(20);
          }
        }
      }
    }
    return left;
  }
}
