// Plan records of the security concern (decoded by native/init/plan_security.cc):
// capabilities, no_new_privs, the session keyring, the seccomp filter and
// the host facts (last capability, setgroups policy).
import { TAG } from '../format';
import type { Plan } from '../types';
import { P, type Rec } from './payload';

export function encodeSecurity(p: Plan, rec: Rec): void {
  rec(
    TAG.CAPS,
    P().u64(p.caps.bounding).u64(p.caps.effective).u64(p.caps.inheritable).u64(p.caps.permitted).u64(p.caps.ambient),
  );
  if (p.noNewPrivileges) rec(TAG.NO_NEW_PRIVS);
  if (p.sessionKeyring !== undefined) rec(TAG.SESSION_KEYRING, P().str(p.sessionKeyring, 'session keyring'));
  rec(TAG.HOST_FACTS, P().u32(p.host.lastCap).u32(p.host.setgroups));
  if (p.seccomp) rec(TAG.SECCOMP, P().u32(p.seccomp.flags).u32(p.seccomp.stage).raw(p.seccomp.program));
}
