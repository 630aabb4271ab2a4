// Resource limits, then identity and privileges, in the only order the
// kernel allows: the bounding set and groups need CAP_SETPCAP/CAP_SETGID, so
// they go before setresuid; KEEPCAPS carries the permitted set across the uid
// change; capset then trims it to the plan's sets.
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "security.h"
#include "util.h"

static const char* const RLIMIT_NAMES[] = {"RLIMIT_CPU",      "RLIMIT_FSIZE", "RLIMIT_DATA",   "RLIMIT_STACK",
                                           "RLIMIT_CORE",     "RLIMIT_RSS",   "RLIMIT_NPROC",  "RLIMIT_NOFILE",
                                           "RLIMIT_MEMLOCK",  "RLIMIT_AS",    "RLIMIT_LOCKS",  "RLIMIT_SIGPENDING",
                                           "RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME"};

static const char* const CAP_NAMES[] = {"CAP_CHOWN",
                                        "CAP_DAC_OVERRIDE",
                                        "CAP_DAC_READ_SEARCH",
                                        "CAP_FOWNER",
                                        "CAP_FSETID",
                                        "CAP_KILL",
                                        "CAP_SETGID",
                                        "CAP_SETUID",
                                        "CAP_SETPCAP",
                                        "CAP_LINUX_IMMUTABLE",
                                        "CAP_NET_BIND_SERVICE",
                                        "CAP_NET_BROADCAST",
                                        "CAP_NET_ADMIN",
                                        "CAP_NET_RAW",
                                        "CAP_IPC_LOCK",
                                        "CAP_IPC_OWNER",
                                        "CAP_SYS_MODULE",
                                        "CAP_SYS_RAWIO",
                                        "CAP_SYS_CHROOT",
                                        "CAP_SYS_PTRACE",
                                        "CAP_SYS_PACCT",
                                        "CAP_SYS_ADMIN",
                                        "CAP_SYS_BOOT",
                                        "CAP_SYS_NICE",
                                        "CAP_SYS_RESOURCE",
                                        "CAP_SYS_TIME",
                                        "CAP_SYS_TTY_CONFIG",
                                        "CAP_MKNOD",
                                        "CAP_LEASE",
                                        "CAP_AUDIT_WRITE",
                                        "CAP_AUDIT_CONTROL",
                                        "CAP_SETFCAP",
                                        "CAP_MAC_OVERRIDE",
                                        "CAP_MAC_ADMIN",
                                        "CAP_SYSLOG",
                                        "CAP_WAKE_ALARM",
                                        "CAP_BLOCK_SUSPEND",
                                        "CAP_AUDIT_READ",
                                        "CAP_PERFMON",
                                        "CAP_BPF",
                                        "CAP_CHECKPOINT_RESTORE"};

static const char* cap_name(int cap, char* buf) {
  if (cap < (int)(sizeof CAP_NAMES / sizeof *CAP_NAMES)) return CAP_NAMES[cap];
  fmt(buf, 16, "cap %d", cap);
  return buf;
}

void join_session_keyring(const plan* p) {
  if (!p->session_keyring) return;
  const long KEYCTL_JOIN_SESSION_KEYRING = 1;
  // ENOSYS: a kernel without keys; nothing to isolate then.
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, p->session_keyring) < 0 && errno != ENOSYS)
    die(errno, "join session keyring %s", p->session_keyring);
}

void apply_rlimits(const plan* p) {
  for (size_t i = 0; i < p->n_rlimits; i++) {
    const plan_rlimit* l = &p->rlimits[i];
    struct rlimit rl = {(rlim_t)l->soft, (rlim_t)l->hard};
    if (setrlimit((__rlimit_resource_t)l->resource, &rl) < 0) die(errno, "setrlimit %s", RLIMIT_NAMES[l->resource]);
  }
}

// The host's last cap comes in the plan (T_HOST_FACTS): the container's
// /proc/sys/kernel/cap_last_cap may be a file of the image saying "0".
static void drop_bounding(const plan* p, uint64_t keep) {
  int last = (int)p->last_cap;
  char b[16];
  for (int cap = 0; cap <= last; cap++) {
    if (keep & (1ULL << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      die(errno, "drop %s from the bounding set", cap_name(cap, b));
  }
}

static void set_caps(const plan* p) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct cur[2];
  if (syscall(SYS_capget, &hdr, cur) < 0) die(errno, "capget");
  uint64_t have_prm = cur[0].permitted | (uint64_t)cur[1].permitted << 32;
  uint64_t have_inh = cur[0].inheritable | (uint64_t)cur[1].inheritable << 32;
  // Ask only for what this process can hold: the host's bounding set may
  // lack caps the config names (e.g. CAP_SYS_RESOURCE here), and runc-style
  // configs list them anyway. Our effective set is empty after the uid
  // change, so new inheritable caps must come from the permitted set.
  uint64_t prm = p->cap_permitted & have_prm;
  uint64_t eff = p->cap_effective & prm;
  uint64_t inh = p->cap_inheritable & (have_prm | have_inh);
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  d[0].effective = (uint32_t)eff, d[1].effective = (uint32_t)(eff >> 32);
  d[0].permitted = (uint32_t)prm, d[1].permitted = (uint32_t)(prm >> 32);
  d[0].inheritable = (uint32_t)inh, d[1].inheritable = (uint32_t)(inh >> 32);
  if (syscall(SYS_capset, &hdr, d) < 0) die(errno, "capset");

  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    die(errno, "clear ambient capabilities");
  uint64_t amb = p->cap_ambient & prm & inh; // the kernel's rule for raising
  char b[16];
  for (int cap = 0; cap < 64; cap++)
    if ((amb & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      die(errno, "raise ambient %s", cap_name(cap, b));
}

void apply_user(const plan* p) {
  if (p->has_caps) drop_bounding(p, p->cap_bounding);
  // In a user namespace whose setgroups file says "deny", setgroups(2)
  // always fails; the plan says so (T_HOST_FACTS), never the container's /proc.
  if (p->setgroups != SETGROUPS_DENY && setgroups(p->n_groups, (const gid_t*)p->groups) < 0) die(errno, "setgroups");
  if (setresgid(p->gid, p->gid, p->gid) < 0) die(errno, "setresgid %u", p->gid);
  if (p->has_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) die(errno, "prctl PR_SET_KEEPCAPS");
  if (setresuid(p->uid, p->uid, p->uid) < 0) die(errno, "setresuid %u", p->uid);
  // A credential change clears the parent-death signal; until 'R' we still
  // want to die with the parent. It also sets dumpable to fs.suid_dumpable,
  // which a host may have at 1: we stay non-dumpable until execve (main.cc).
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (p->has_caps) {
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    set_caps(p);
  }
  umask(p->umask == PLAN_NO_UMASK ? 022 : (mode_t)(p->umask & 0777));
  if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die(errno, "prctl PR_SET_NO_NEW_PRIVS");
}
