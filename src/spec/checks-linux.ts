// Semantic checks of linux-specific security settings that a schema cannot
// express, with runc's validator's rules (and its wording where engines or
// users match on it). Each error names the JSON path.
import * as fs from 'fs';
import * as path from 'path';
import { CartonError } from '../errors';
import type { Spec } from './types';

/** IPC-namespaced sysctls (runc's list) besides fs.mqueue.*. */
const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

function sameNs(p: string, kind: string): boolean {
  try {
    const a = fs.statSync(p);
    const b = fs.statSync(`/proc/self/ns/${kind}`);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false; // a bad path is reported when init opens it
  }
}

/** A sysctl is allowed only if a namespace of the container's own isolates it. */
function checkSysctls(spec: Spec): void {
  const nss = spec.linux?.namespaces ?? [];
  const ns = (t: string) => nss.find((n) => n.type === t);
  for (const k of Object.keys(spec.linux?.sysctl ?? {})) {
    const where = `config.json: /linux/sysctl/${k}`;
    if (IPC_SYSCTLS.has(k) || k.startsWith('fs.mqueue.')) {
      if (ns('ipc')) continue;
      throw new CartonError(`${where}: sysctl "${k}" is not allowed in the hosts ipc namespace`, {
        kind: 'invalid-config',
      });
    }
    if (k.startsWith('net.')) {
      const net = ns('network');
      if (net && (!net.path || !sameNs(net.path, 'net'))) continue;
      throw new CartonError(`${where}: sysctl "${k}" is not allowed in the hosts network namespace`, {
        kind: 'invalid-config',
      });
    }
    if (ns('uts') && k === 'kernel.domainname') continue;
    if (ns('uts') && k === 'kernel.hostname')
      throw new CartonError(`${where}: sysctl "${k}" is not allowed as it conflicts with the OCI "hostname" field`, {
        kind: 'invalid-config',
      });
    throw new CartonError(`${where}: sysctl "${k}" is not in a separate kernel namespace`, { kind: 'invalid-config' });
  }
}

/** Paths the runtime creates or masks inside the container must be absolute; device nodes belong in /dev. */
function checkPaths(spec: Spec): void {
  const l = spec.linux ?? {};
  for (const key of ['maskedPaths', 'readonlyPaths'] as const) {
    for (const [i, p] of (l[key] ?? []).entries()) {
      if (!p.startsWith('/'))
        throw new CartonError(`config.json: /linux/${key}/${i}: "${p}" is not an absolute path`, {
          kind: 'invalid-config',
        });
    }
  }
  for (const [i, d] of (l.devices ?? []).entries()) {
    const clean = path.posix.normalize(d.path);
    if (!d.path.startsWith('/') || !clean.startsWith('/dev/') || clean !== d.path.replace(/\/+$/, '')) {
      throw new CartonError(
        `config.json: /linux/devices/${i}/path: "${d.path}" must be a clean absolute path under /dev`,
        { kind: 'invalid-config' },
      );
    }
    for (const k of ['major', 'minor', 'uid', 'gid'] as const) {
      if ((d[k] ?? 0) < 0)
        throw new CartonError(`config.json: /linux/devices/${i}/${k}: must not be negative, got ${d[k]}`, {
          kind: 'invalid-config',
        });
    }
    if ((d.type === 'c' || d.type === 'b' || d.type === 'u') && (d.major === undefined || d.minor === undefined)) {
      throw new CartonError(`config.json: /linux/devices/${i}: a "${d.type}" device needs major and minor`, {
        kind: 'invalid-config',
      });
    }
  }
  const cg = l.cgroupsPath;
  if (cg && cg.split(/[/:]/).includes('..'))
    throw new CartonError(`config.json: /linux/cgroupsPath: "${cg}" must not contain ".."`, { kind: 'invalid-config' });
}

export function apparmorEnabled(): boolean {
  try {
    return fs.readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
  } catch {
    return false;
  }
}

export function selinuxEnabled(): boolean {
  return fs.existsSync('/sys/fs/selinux/enforce');
}

export function resctrlMounted(): boolean {
  try {
    return fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .some((l) => / - resctrl /.test(l));
  } catch {
    return false;
  }
}

/** LSM labels and Intel RDT: a clear error when the kernel facility is absent (runc's wording). */
function checkFacilities(spec: Spec): void {
  const p = spec.process;
  if (p?.apparmorProfile) {
    if (!apparmorEnabled())
      throw new CartonError(
        'config.json: /process/apparmorProfile: apparmor: config provided but apparmor not supported',
        { kind: 'host-lacks' },
      );
    throw new CartonError('config.json: /process/apparmorProfile is not supported by this version of carton', {
      kind: 'unsupported',
    });
  }
  for (const [ptr, v] of [
    ['/process/selinuxLabel', p?.selinuxLabel],
    ['/linux/mountLabel', spec.linux?.mountLabel],
  ] as const) {
    if (!v) continue;
    if (!selinuxEnabled())
      throw new CartonError(
        `config.json: ${ptr}: selinux label is specified in config, but selinux is disabled or not supported`,
        { kind: 'host-lacks' },
      );
    throw new CartonError(`config.json: ${ptr} is not supported by this version of carton`, { kind: 'unsupported' });
  }
  if (spec.linux?.intelRdt) {
    if (!resctrlMounted())
      throw new CartonError(
        'config.json: /linux/intelRdt: intelRdt is specified in config, but Intel RDT is not supported or enabled',
        { kind: 'host-lacks' },
      );
    throw new CartonError('config.json: /linux/intelRdt is not supported by this version of carton', {
      kind: 'unsupported',
    });
  }
}

/** Strings become C strings in carton-init: a NUL would silently cut them. */
function checkNul(v: unknown, ptr: string): void {
  if (typeof v === 'string') {
    if (v.includes('\0'))
      throw new CartonError(`config.json: ${ptr || '/'}: contains a NUL byte`, { kind: 'invalid-config' });
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => checkNul(x, `${ptr}/${i}`));
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const p = `${ptr}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (k.includes('\0')) throw new CartonError(`config.json: ${p}: contains a NUL byte`, { kind: 'invalid-config' });
      checkNul(x, p);
    }
  }
}

export function checkLinuxSecurity(spec: Spec): void {
  checkNul(spec, '');
  const oom = spec.process?.oomScoreAdj;
  if (oom !== undefined && (oom < -1000 || oom > 1000))
    throw new CartonError(`config.json: /process/oomScoreAdj: ${oom} is outside the kernel's range -1000..1000`, {
      kind: 'invalid-config',
    });
  checkSysctls(spec);
  checkPaths(spec);
  checkFacilities(spec);
}
