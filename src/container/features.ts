// `features`: runtime-spec features.json, true for this build on this host.
// Only what carton implements is advertised: engines act on it (containerd
// only uses idmapped mounts when mountExtensions.idmap.enabled, CRI looks for
// "rro" in mountOptions), so claiming too much breaks them.
import * as fs from 'fs';
import { addon } from '../native';
import { CAPABILITIES, NAMESPACES, NS_FILE } from '../plan/linux';
import { KNOWN_OPTIONS } from '../plan/mount-options';
import { SECCOMP_NAMES, seccompFilter } from '../plan/seccomp';
import { apparmorEnabled, selinuxEnabled } from '../spec/checks-linux';

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
  return Object.keys(NAMESPACES)
    .filter((n) => fs.existsSync(`/proc/self/ns/${NS_FILE[n]}`))
    .sort();
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

/** runc's list of seccomp architectures; only those this libseccomp builds a filter for are kept. */
const SCMP_ARCHES = [
  'SCMP_ARCH_X86',
  'SCMP_ARCH_X86_64',
  'SCMP_ARCH_X32',
  'SCMP_ARCH_ARM',
  'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC',
  'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_RISCV64',
  'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X',
];

function seccompArches(): string[] {
  return SCMP_ARCHES.filter((a) => {
    try {
      addon().compileSeccomp(seccompFilter({ defaultAction: 'SCMP_ACT_ALLOW', architectures: [a] }));
      return true;
    } catch {
      return false;
    }
  });
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
      // src/cgroups/v1, v2 and systemd (root only: no systemd user manager driver).
      cgroup: { v1: true, v2: true, systemd: true, systemdUser: false, rdma: false },
      seccomp: {
        enabled: true,
        actions: [...SECCOMP_NAMES.actions].sort(),
        operators: [...SECCOMP_NAMES.operators].sort(),
        archs: seccompArches(),
        knownFlags: [...SECCOMP_NAMES.flags].sort(),
        supportedFlags: [...SECCOMP_NAMES.flags].sort(),
      },
      // What the kernel has; carton itself refuses LSM labels (src/spec/checks-linux.ts).
      apparmor: { enabled: apparmorEnabled() },
      selinux: { enabled: selinuxEnabled() },
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
