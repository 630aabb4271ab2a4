// `features`: runtime-spec features.json, true for this build on this host.
// Only what carton implements is advertised: engines act on it (containerd
// only uses idmapped mounts when mountExtensions.idmap.enabled, CRI looks for
// "rro" in mountOptions), so claiming too much breaks them.
import * as fs from 'fs';
import { CAPABILITIES, NAMESPACES } from '../plan/linux';
import { KNOWN_OPTIONS } from '../plan/mount-options';

declare const CARTON_COMMIT: string;

export interface Features {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks: string[];
  mountOptions: string[];
  linux: Record<string, unknown>;
  annotations: Record<string, string>;
}

/** Namespace types this kernel has (e.g. "time" needs Linux 5.6). */
function kernelNamespaces(): string[] {
  const file: Record<string, string> = { pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time' };
  return Object.keys(NAMESPACES).filter((n) => fs.existsSync(`/proc/self/ns/${file[n]}`)).sort();
}

/** Capabilities carton knows that this kernel also knows. */
function kernelCapabilities(): string[] {
  let last = CAPABILITIES.length - 1;
  try {
    last = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  } catch {
    // no /proc: assume every cap carton knows
  }
  return CAPABILITIES.filter((_, i) => i <= last);
}

export function features(): Features {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: '1.3.0',
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: [...KNOWN_OPTIONS],
    linux: {
      namespaces: kernelNamespaces(),
      capabilities: kernelCapabilities(),
      // Both cgroup drivers exist (src/cgroups/v1, v2); the systemd driver does not.
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: false },
      // Refused in config.json by this version (src/spec/load.ts), so not enabled.
      seccomp: { enabled: false },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
      netDevices: { enabled: false },
    },
    annotations: {
      'dev.carton.version': '0.1.0',
      'dev.carton.commit': typeof CARTON_COMMIT === 'string' ? CARTON_COMMIT : 'unknown',
      'dev.carton.checkpoint.enabled': 'false',
    },
  };
}
