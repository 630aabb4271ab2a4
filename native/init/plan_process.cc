// Decoding of the process records (tags and layouts: src/plan/format.ts;
// encoder: src/plan/encode/process.ts): init's fds, terminal, cwd, argv, env,
// user, rlimits, OOM score, and the attributes set before the user switch
// (personality, scheduler, I/O priority, memory policy).
#include <sys/resource.h>

#include "plan_reader.h"

const char* plan_process_record(plan* o, uint16_t tag, reader& r) {
  switch (tag) {
    case T_FDS: {
      uint32_t s = r.u32(), f = r.u32(), c = r.u32(), first = r.u32();
      if (r.bad) break;
      // The fifo may be absent (T_EXEC); validate() checks it matches.
      if (first < 3 || first > 1u << 20 || s < first || f < first || s == f ||
          (c != PLAN_NO_FD && (c < first || c == s || c == f)) || s > 1u << 20 || (f != PLAN_NO_FD && f > 1u << 20) ||
          (c != PLAN_NO_FD && c > 1u << 20))
        return "plan: inconsistent T_FDS";
      o->has_fds = true;
      o->sync_fd = (int)s;
      o->fifo_fd = f == PLAN_NO_FD ? -1 : (int)f;
      o->console_fd = c == PLAN_NO_FD ? -1 : (int)c;
      o->first_own = (int)first;
      break;
    }
    case T_TERMINAL:
      o->terminal = true;
      o->rows = r.u32();
      o->cols = r.u32();
      break;
    case T_CWD: o->cwd = r.rest(); break;
    case T_ARG: *PUSH(o->args, o->n_args) = r.rest(); break;
    case T_ENV: *PUSH(o->env, o->n_env) = r.rest(); break;
    case T_USER: {
      o->uid = r.u32();
      o->gid = r.u32();
      o->umask = r.u32();
      uint32_t n = r.u32();
      if (!r.bad && (n > 65536 || r.n != (size_t)n * 4)) return "plan: bad T_USER group count";
      for (uint32_t i = 0; i < n; i++) *PUSH(o->groups, o->n_groups) = r.u32();
      break;
    }
    case T_RLIMIT: {
      plan_rlimit* l = PUSH(o->rlimits, o->n_rlimits);
      l->resource = r.u32();
      l->soft = r.u64();
      l->hard = r.u64();
      if (!r.bad && l->resource >= RLIM_NLIMITS) return plan_errf("plan: unknown rlimit %u", l->resource);
      break;
    }
    case T_OOM_SCORE_ADJ: o->has_oom = true, o->oom_score_adj = (int32_t)r.u32(); break;
    case T_PERSONALITY:
      o->has_personality = true;
      o->personality = r.u32();
      break;
    case T_SCHEDULER:
      o->has_scheduler = true;
      o->sched_policy = r.u32();
      o->sched_flags = r.u64();
      o->sched_nice = (int32_t)r.u32();
      o->sched_priority = r.u32();
      o->sched_runtime = r.u64();
      o->sched_deadline = r.u64();
      o->sched_period = r.u64();
      break;
    case T_IO_PRIORITY:
      o->has_ioprio = true;
      o->ioprio = r.u32();
      break;
    case T_MEMORY_POLICY: {
      o->has_mempolicy = true;
      o->mempolicy_mode = r.u32();
      o->mempolicy_flags = r.u32();
      if (r.bad || r.n % 8 || r.n > 128) return "plan: bad memory policy node mask";
      o->n_mempolicy_words = r.n / 8;
      o->mempolicy_nodes = (uint64_t*)calloc(o->n_mempolicy_words + 1, 8);
      if (!o->mempolicy_nodes) die(0, "plan: out of memory");
      for (size_t i = 0; i < o->n_mempolicy_words; i++) o->mempolicy_nodes[i] = r.u64();
      break;
    }
    default: return plan_errf("plan: tag %u is not a process record", tag);
  }
  return nullptr;
}
