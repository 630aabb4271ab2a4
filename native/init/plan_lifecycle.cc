// Decoding of the lifecycle records (tags and layouts: src/plan/format.ts;
// encoder: src/plan/encode/lifecycle.ts): `carton exec`, the pause for the
// runtime hooks, the hooks init runs itself, the --debug trace.
#include "plan_reader.h"

const char* plan_lifecycle_record(plan* o, uint16_t tag, reader& r) {
  switch (tag) {
    case T_EXEC: o->exec_now = true; break;
    case T_HOOKS_PAUSE: o->hooks_pause = true; break;
    case T_TRACE: o->trace = true; break;
    case T_HOOK: {
      plan_hook* h = PUSH(o->hooks, o->n_hooks);
      h->kind = r.u32();
      h->timeout = r.u32();
      uint32_t na = r.u32(), ne = r.u32();
      if (!r.bad && (h->kind > HOOK_START_CONTAINER || na > 4096 || ne > 4096)) return "plan: bad T_HOOK";
      h->path = r.lstr();
      size_t n = 0;
      for (uint32_t i = 0; i < na && !r.bad; i++) *PUSH(h->args, n) = r.lstr();
      if (!na) *PUSH(h->args, n) = h->path;
      *PUSH(h->args, n) = nullptr;
      n = 0;
      for (uint32_t i = 0; i < ne && !r.bad; i++) *PUSH(h->env, n) = r.lstr();
      *PUSH(h->env, n) = nullptr;
      break;
    }
    default: return plan_errf("plan: tag %u is not a lifecycle record", tag);
  }
  return nullptr;
}
