// linux.personality, process.scheduler, process.ioPriority and
// linux.memoryPolicy (T_PERSONALITY, T_SCHEDULER, T_IO_PRIORITY, T_MEMORY_POLICY), set by stage B just before the user
// switch: a real-time policy or I/O class needs CAP_SYS_NICE/CAP_SYS_ADMIN,
// which the switch may drop. All four survive execve and are inherited by
// the container's children.
#include <errno.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ext.h"
#include "util.h"

namespace {

// <linux/sched/types.h>, version 1 (without the util clamps).
struct sched_attr_v1 {
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
};

const char* const POLICY[] = {"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",      "SCHED_BATCH",
                              "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE"};

} // namespace

void apply_process_attrs(const plan* p) {
  if (p->has_personality && personality(p->personality) < 0) die(errno, "personality 0x%x", p->personality);
  if (p->has_scheduler) {
    sched_attr_v1 a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.sched_policy = p->sched_policy;
    a.sched_flags = p->sched_flags;
    a.sched_nice = p->sched_nice;
    a.sched_priority = p->sched_priority;
    a.sched_runtime = p->sched_runtime;
    a.sched_deadline = p->sched_deadline;
    a.sched_period = p->sched_period;
    if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
      die(errno, "sched_setattr %s", p->sched_policy < 7 ? POLICY[p->sched_policy] : "?");
  }
  if (p->has_mempolicy) {
    // maxnode counts bits plus one (the kernel reads maxnode - 1 bits).
    unsigned long maxnode = p->n_mempolicy_words ? p->n_mempolicy_words * 64 + 1 : 0;
    if (syscall(SYS_set_mempolicy, (int)(p->mempolicy_mode | p->mempolicy_flags),
                p->n_mempolicy_words ? p->mempolicy_nodes : nullptr, maxnode) < 0)
      die(errno, "set_mempolicy mode %u flags 0x%x", p->mempolicy_mode, p->mempolicy_flags);
  }
  const int IOPRIO_WHO_PROCESS = 1;
  if (p->has_ioprio && syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, (int)p->ioprio) < 0)
    die(errno, "ioprio_set class %u level %u", p->ioprio >> 13, p->ioprio & 7);
}
