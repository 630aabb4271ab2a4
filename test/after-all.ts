// Runs once after the whole suite (tap's `after`): the host must be as
// clean as before. Any carton cgroup, container mount or carton-init process
// left over fails the run, as does a carton shim process or front door.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const leaks: string[] = [];
for (const h of fs.readdirSync('/sys/fs/cgroup')) {
  const d = path.join('/sys/fs/cgroup', h, 'carton');
  if (fs.existsSync(d)) leaks.push(`cgroup dir left: ${d}`);
  // the systemd driver test's parent (test/systemd-ns.ts)
  let names: string[] = [];
  try {
    names = fs.readdirSync(path.join('/sys/fs/cgroup', h)).filter((n) => n.startsWith('carton-sdtest-'));
  } catch {
    // not a directory
  }
  for (const n of names) leaks.push(`cgroup dir left: ${path.join('/sys/fs/cgroup', h, n)}`);
}
const mounts = fs
  .readFileSync('/proc/self/mountinfo', 'utf8')
  .split('\n')
  .filter((l) => /carton-|\/rootfs/.test(l));
if (mounts.length) leaks.push(`mounts left: ${mounts.join(' | ')}`);
const ps = execFileSync('ps', ['-eo', 'pid,stat,args'], { encoding: 'utf8' })
  .split('\n')
  .filter((l) => /carton-init/.test(l) && !/ Z/.test(l));
if (ps.length) leaks.push(`processes left: ${ps.join(' | ')}`);
const systemds = execFileSync('ps', ['-eo', 'pid,stat,args'], { encoding: 'utf8' })
  .split('\n')
  .filter((l) => /systemd --unit=carton-test.target/.test(l) && !/ Z/.test(l));
if (systemds.length) leaks.push(`test systemd left: ${systemds.join(' | ')}`);
const shims = execFileSync('ps', ['-eo', 'pid,stat,args'], { encoding: 'utf8' })
  .split('\n')
  .filter((l) => /containerd-shim-carton-v2/.test(l) && !/ Z/.test(l));
if (shims.length) leaks.push(`shims left: ${shims.join(' | ')}`);
// the shims' front doors (src/shim/frontdoor.ts)
const doors = fs.existsSync('/run/containerd/s')
  ? fs.readdirSync('/run/containerd/s').filter((f) => f.startsWith('carton-'))
  : [];
if (doors.length) leaks.push(`shim front doors left in /run/containerd/s: ${doors.join(' ')}`);
const st = fs.statSync('/dev/null');
if (!st.isCharacterDevice() || st.uid !== 0 || st.gid !== 0 || st.rdev !== ((1 << 8) | 3))
  leaks.push('host /dev/null changed');
if (leaks.length) {
  console.error(`host leak check FAILED:\n  ${leaks.join('\n  ')}`);
  process.exit(1);
}
console.log('# host leak check: clean (no carton cgroups, mounts or processes; /dev/null intact)');
