// Decoding of the security records (tags and layouts: src/plan/format.ts;
// encoder: src/plan/encode/security.ts): capabilities, no_new_privs, the
// session keyring, the seccomp filter, the host facts.
#include "plan_reader.h"

const char* plan_security_record(plan* o, uint16_t tag, reader& r) {
  switch (tag) {
    case T_CAPS:
      o->has_caps = true;
      o->cap_bounding = r.u64();
      o->cap_effective = r.u64();
      o->cap_inheritable = r.u64();
      o->cap_permitted = r.u64();
      o->cap_ambient = r.u64();
      break;
    case T_NO_NEW_PRIVS: o->no_new_privs = true; break;
    case T_SESSION_KEYRING: o->session_keyring = r.rest(); break;
    case T_SECCOMP:
      o->seccomp_flags = r.u32();
      o->seccomp_stage = r.u32();
      if (r.bad) break;
      o->seccomp_prog = r.raw(&o->seccomp_len);
      if (!o->seccomp_len || o->seccomp_len % 8 || o->seccomp_len / 8 > 4096) return "plan: bad seccomp program length";
      if (o->seccomp_stage > SECCOMP_STAGE_BEFORE_EXEC)
        return plan_errf("plan: unknown seccomp stage %u", o->seccomp_stage);
      break;
    case T_HOST_FACTS:
      o->has_host_facts = true;
      o->last_cap = r.u32();
      o->setgroups = r.u32();
      if (!r.bad && o->last_cap > 63) return plan_errf("plan: last capability %u out of range", o->last_cap);
      if (!r.bad && o->setgroups > SETGROUPS_ASK) return plan_errf("plan: unknown setgroups policy %u", o->setgroups);
      break;
    default: return plan_errf("plan: tag %u is not a security record", tag);
  }
  return nullptr;
}
