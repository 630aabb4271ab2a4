// Facts about the host that carton-init needs but must not read itself:
// after pivot_root (or for exec, at once) its /proc is the container's, and
// without a /proc mount in the config that is whatever the image put there
// (a cap_last_cap saying "0" kept the whole bounding set). Read here, in the
// runtime's namespaces, and carried in the plan (T_HOST_FACTS, src/plan/format.ts).
import * as fs from 'fs';

import { Setgroups } from './format';

export { Setgroups };

export interface HostFacts {
  /** /proc/sys/kernel/cap_last_cap */
  lastCap: number;
  setgroups: Setgroups;
}

let cachedLastCap: number | undefined;

/** The highest capability this kernel knows; 63 when /proc cannot say (init then skips the EINVAL ones). */
export function hostLastCap(): number {
  if (cachedLastCap === undefined) {
    let v = NaN;
    try {
      v = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
    } catch {
      // no /proc in the runtime's namespace
    }
    cachedLastCap = Number.isInteger(v) && v >= 0 && v < 64 ? v : 63;
  }
  return cachedLastCap;
}

/**
 * userNs: how the process gets its user namespace. A new one gets "deny"
 * from us exactly when we are not root: without CAP_SETGID in our own
 * namespace the kernel takes a gid_map only after that (user_namespaces(7)).
 */
export function hostFacts(userNs: 'none' | 'new' | 'joined'): HostFacts {
  const setgroups =
    userNs === 'joined'
      ? Setgroups.Ask
      : userNs === 'new' && process.geteuid?.() !== 0
        ? Setgroups.Deny
        : Setgroups.Allow;
  return { lastCap: hostLastCap(), setgroups };
}
