// --debug: what create/exec is about to do, in an operator's words (which
// namespaces, cgroups, mounts, process, seccomp, hooks), as runc's debug log
// says it. Built only when --debug is on (callers check debugEnabled()).
import type { CgroupRecord } from '../cgroups/types';
import type { HookName } from './hooks';
import { capNames } from '../plan/caps';
import { CLONE, MS, NAMESPACES } from '../plan/linux';
import { MountKind, type Plan } from '../plan/types';
import type { Spec } from '../spec/types';

const NS_NAME = Object.fromEntries(Object.entries(NAMESPACES).map(([k, v]) => [v, k])) as Record<number, string>;

function nsNames(flags: number): string {
  return Object.entries(NAMESPACES)
    .filter(([, f]) => flags & f)
    .map(([n]) => n)
    .join(', ');
}

const FLAG_NAMES: Array<[number, string]> = [
  [MS.RDONLY, 'ro'],
  [MS.NOSUID, 'nosuid'],
  [MS.NODEV, 'nodev'],
  [MS.NOEXEC, 'noexec'],
  [MS.REC, 'rec'],
];

function mountLine(m: Plan['mounts'][number]): string {
  const flags = FLAG_NAMES.filter(([f]) => m.flags & f).map(([, n]) => n);
  const opts = [...flags, ...(m.data ? [m.data] : [])].join(',');
  const tail = opts ? ` (${opts})` : '';
  switch (m.kind) {
    case MountKind.Bind:
      return `mount: bind ${m.source} on ${m.target}${tail}${m.idmap ? ', id-mapped' : ''}`;
    case MountKind.Remount:
      return `mount: remount ${m.target}${tail}`;
    case MountKind.TmpCopyUp:
      return `mount: ${m.fstype} on ${m.target}${tail}, filled with a copy of the image's ${m.target} (tmpcopyup)`;
    default:
      return `mount: ${m.fstype} on ${m.target}${tail}`;
  }
}

export function describePlan(plan: Plan, spec: Spec, rec?: CgroupRecord): string[] {
  const out: string[] = [];
  if (rec) {
    const dirs = [...new Set(Object.values(rec.dirs))];
    out.push(
      `cgroups: ${rec.systemd ? `systemd unit ${rec.systemd.name} in ${rec.systemd.slice}, ` : ''}${rec.mode} layout, ${dirs.length ? dirs.join(' ') : 'none (rootless, no limits)'}; carton creates ${rec.created.length ? rec.created.join(' ') : 'none'}`,
    );
  }
  const fresh = plan.nsNew ? nsNames(plan.nsNew) : 'none';
  const joins = plan.nsJoin.map((j) => `${NS_NAME[j.flag] ?? j.flag} ${j.path}`).join(', ');
  out.push(
    `namespaces: new ${fresh}${joins ? `; joining ${joins}` : ''}${plan.nsNew & CLONE.NEWUSER ? '; uid/gid maps written by carton' : ''}`,
  );
  if (!plan.exec) {
    out.push(
      `rootfs: ${plan.rootfs}${plan.rootReadonly ? ' (read-only)' : ''}, entered with ${plan.noPivot ? 'MS_MOVE + chroot (--no-pivot)' : 'pivot_root'}`,
    );
    for (const m of plan.mounts) out.push(mountLine(m));
    if (plan.devices.length) out.push(`devices: ${plan.devices.map((d) => d.path).join(' ')}`);
    if (plan.maskedPaths.length || plan.readonlyPaths.length)
      out.push(`masked paths: ${plan.maskedPaths.length}, read-only paths: ${plan.readonlyPaths.length}`);
    if (plan.hostname !== undefined) out.push(`hostname: ${plan.hostname}`);
    if (plan.sysctl.length) out.push(`sysctl: ${plan.sysctl.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
  const caps = capNames(plan.caps.effective);
  out.push(
    `process: ${JSON.stringify(plan.args)} in ${plan.cwd} as ${plan.user.uid}:${plan.user.gid}, effective capabilities ${caps.length ? caps.join(',') : 'none'}${plan.noNewPrivileges ? ', no_new_privs' : ''}${plan.terminal ? ', with a terminal' : ''}`,
  );
  if (plan.seccomp)
    out.push(
      `seccomp: a ${plan.seccomp.program.length / 8}-instruction BPF filter${plan.seccomp.listenerPath ? `, notifications to the agent at ${plan.seccomp.listenerPath}` : ''}`,
    );
  const hooks = (
    ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as HookName[]
  )
    .map((h) => [h, spec.hooks?.[h]?.length ?? 0] as const)
    .filter(([, n]) => n > 0);
  if (hooks.length && !plan.exec) out.push(`hooks: ${hooks.map(([h, n]) => `${h} ${n}`).join(', ')}`);
  return out;
}
