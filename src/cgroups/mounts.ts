// Which cgroup hierarchies this host has, read from /proc/self/mountinfo
// (not guessed from paths): v2 only, v1 only, or hybrid (v1 controllers plus
// a cgroup2 mount such as /sys/fs/cgroup/unified, as on this machine).
import * as fs from 'fs';

export type CgroupMode = 'v1' | 'v2' | 'hybrid';

export interface Hierarchy {
  /** 'cgroup' (v1) or 'cgroup2' */
  type: 'cgroup' | 'cgroup2';
  mountPoint: string;
  /** the mount's root inside the hierarchy (not '/' inside a cgroup namespace) */
  root: string;
  /** v1: controllers bound to it (e.g. ['cpu','cpuacct'] or ['name=systemd']); v2: [] */
  controllers: string[];
}

export interface CgroupLayout {
  mode: CgroupMode;
  v1: Hierarchy[];
  unified?: Hierarchy;
}

/** mountinfo escapes spaces and the like as \040 octal. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountinfo(text: string): CgroupLayout {
  const v1: Hierarchy[] = [];
  let unified: Hierarchy | undefined;
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const post = line.slice(sep + 3).split(' ');
    const fstype = post[0];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const [, , , rootField, mountField] = pre;
    if (rootField === undefined || mountField === undefined) continue;
    const root = unescape(rootField);
    const mountPoint = unescape(mountField);
    if (fstype === 'cgroup2') {
      // The first cgroup2 mount wins; later ones are usually bind copies.
      if (!unified) unified = { type: 'cgroup2', mountPoint, root, controllers: [] };
      continue;
    }
    const controllers = (post[2] ?? '')
      .split(',')
      .filter(
        (o) =>
          o !== 'rw' &&
          o !== 'ro' &&
          !o.startsWith('release_agent') &&
          o !== 'clone_children' &&
          o !== 'noprefix' &&
          o !== 'xattr' &&
          o !== 'cpuset_v2_mode',
      );
    const key = controllers.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    v1.push({ type: 'cgroup', mountPoint, root, controllers });
  }
  const mode: CgroupMode = v1.length === 0 ? 'v2' : unified ? 'hybrid' : 'v1';
  return { mode, v1, unified };
}

let cached: CgroupLayout | undefined;
export function hostLayout(): CgroupLayout {
  if (!cached) cached = parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
  return cached;
}

/** This process's own cgroup in each hierarchy, from /proc/self/cgroup. */
export function selfCgroups(): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const i = line.indexOf(':');
    const j = line.indexOf(':', i + 1);
    if (i < 0 || j < 0) continue;
    const ctrls = line.slice(i + 1, j);
    m.set(ctrls === '' ? '' : ctrls, line.slice(j + 1));
  }
  return m;
}
