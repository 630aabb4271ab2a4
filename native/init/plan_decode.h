// The decoded plan (format: src/plan/format.ts, via plan.h). Strings are copied out as NUL-terminated
// C strings so every later step can hand them straight to syscalls; the
// decoder rejects embedded NUL bytes so that copy can never truncate silently.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "plan.h"

struct plan_ns_join {
  uint32_t flag;
  char* path;
};

struct plan_idmap_range {
  uint32_t container, host, size;
};

// T_IDMAP_MOUNT: the maps of an id-mapped bind, and the detached,
// id-mapped clone of its source that stage A made (-1 until then).
struct plan_idmap {
  bool recursive;
  plan_idmap_range *uid, *gid;
  size_t n_uid, n_gid;
  int fd;
};

struct plan_mount {
  uint32_t kind, flags, propagation, attr_clr, attr_set;
  bool defer_ro; // MOUNT_DEFER_RDONLY: remount read-only at the end (mounts_readonly_late)
  bool detached; // MOUNT_DETACHED_SOURCE: src_fd is stage A's open_tree() copy of source
  int src_fd;
  char *source, *target, *fstype, *data;
  plan_idmap* idmap; // NULL: an ordinary mount
};

struct plan_net_device {
  char *host, *name;
};

struct plan_device {
  uint32_t type, major, minor, mode, uid, gid, bind;
  char* path;
};

struct plan_symlink {
  char *target, *path;
};

struct plan_sysctl {
  char *key, *value;
};

struct plan_rlimit {
  uint32_t resource;
  uint64_t soft, hard;
};

struct plan_time_offset {
  uint32_t clock;
  int64_t secs;
  uint32_t nsecs;
};

struct plan_hook {
  uint32_t kind, timeout;
  char* path;
  char** args; // NULL-terminated; {path} when the hook has no args
  char** env;  // NULL-terminated
};

struct plan {
  uint32_t ns_new;
  plan_ns_join* joins;
  size_t n_joins;

  char* hostname;   // NULL = leave
  char* domainname; // NULL = leave
  char* rootfs;     // NULL = no rootfs setup at all
  bool root_readonly;
  uint32_t rootfs_propagation; // 0 = MS_SLAVE|MS_REC
  bool no_pivot;

  plan_mount* mounts;
  size_t n_mounts;
  plan_device* devices;
  size_t n_devices;
  plan_symlink* symlinks;
  size_t n_symlinks;
  char** masked;
  size_t n_masked;
  char** readonly;
  size_t n_readonly;
  plan_sysctl* sysctls;
  size_t n_sysctls;

  char* cwd;   // "/" when absent
  char** args; // NULL-terminated, n_args >= 1
  size_t n_args;
  char** env; // NULL-terminated
  size_t n_env;

  uint32_t uid, gid, umask; // 0/0/PLAN_NO_UMASK when T_USER is absent
  uint32_t* groups;
  size_t n_groups;

  plan_rlimit* rlimits;
  size_t n_rlimits;

  bool has_caps; // false: leave capabilities to the kernel's setuid rules
  uint64_t cap_bounding, cap_effective, cap_inheritable, cap_permitted, cap_ambient;

  bool no_new_privs;
  bool has_oom;
  int32_t oom_score_adj;
  bool terminal;
  uint32_t rows, cols;

  bool has_fds;                                // set as soon as T_FDS was decoded, even if a later record fails
  int sync_fd, fifo_fd, console_fd, first_own; // console_fd -1 = none

  plan_time_offset* time_offsets;
  size_t n_time_offsets;

  char* session_keyring; // NULL = keep the inherited session keyring

  uint8_t* seccomp_prog; // NULL = no filter
  size_t seccomp_len;    // bytes, a multiple of 8
  uint32_t seccomp_flags, seccomp_stage;
  bool exec_now;    // T_EXEC: no fifo wait, no container setup
  bool hooks_pause; // T_HOOKS_PAUSE
  bool trace;       // T_TRACE
  plan_hook* hooks;
  size_t n_hooks;
  // Filled in from the parent's 'C' (hooks.cc), not from the plan.
  char* state_create;
  char* state_start;

  plan_net_device* net_devices;
  size_t n_net_devices;
  bool has_personality;
  uint32_t personality;
  bool has_scheduler;
  uint32_t sched_policy, sched_priority;
  uint64_t sched_flags, sched_runtime, sched_deadline, sched_period;
  int32_t sched_nice;
  bool has_ioprio;
  uint32_t ioprio;
  bool has_mempolicy;
  uint32_t mempolicy_mode, mempolicy_flags;
  uint64_t* mempolicy_nodes;
  size_t n_mempolicy_words;
  bool has_host_facts;
  uint32_t last_cap;  // highest capability number the host kernel knows
  uint32_t setgroups; // SETGROUPS_*; stage A turns ASK into ALLOW or DENY
};

// Decodes and validates buf. Returns NULL on success, else a static message
// ("plan: ...") describing the first problem.
const char* plan_decode(const uint8_t* buf, size_t len, plan* out);

// True if the container gets a mount namespace of its own (new or joined);
// only then may init touch mounts.
bool plan_has_mount_ns(const plan* p);
