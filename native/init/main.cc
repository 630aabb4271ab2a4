// carton-init: carries out one container plan (src/plan/format.ts, decoded by plan.cc) inside the kernel.
//
// The exchange with the parent (the carton CLI) is drawn in protocol.h; this
// file is stage A: the process the parent spawns. It reads the plan, waits
// until the parent has put it into the cgroups ('G'), joins existing
// namespaces, and clone()s stage B (child.cc) with CLONE_PARENT so that B,
// which becomes the container's process, is the parent's direct child and
// inherits A's cgroups. A reports B's pid ('P') and exits.
//
// Usage: carton-init <plan_fd>, with an empty environment. fds 0-2 and
// 3..first_own-1 belong to the container process; everything >= first_own
// is init's own and is made close-on-exec before anything else happens.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "ext.h"
#include "plan_decode.h"
#include "protocol.h"
#include "util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

// The spawner may have left signals ignored or blocked (Node ignores SIGPIPE);
// both survive execve and would leak into the container process.
static void reset_signals() {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &sa, nullptr); // EINVAL for libc-reserved ones is fine
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

// Our own fds must never reach the container process (CVE-2024-21626 leaked
// a host directory fd that way), so they get CLOEXEC as early as possible.
static void cloexec_from(int lo) {
  if (syscall(SYS_close_range, (unsigned)lo, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  DIR* d = opendir("/proc/self/fd");
  if (d) {
    int self = dirfd(d);
    while (struct dirent* e = readdir(d)) {
      long fd = parse_uint(e->d_name);
      if (fd >= lo && fd != self) fcntl((int)fd, F_SETFD, FD_CLOEXEC);
    }
    closedir(d);
    return;
  }
  struct rlimit rl;
  long hi = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (long)rl.rlim_cur : 65536;
  for (long fd = lo; fd < hi; fd++) fcntl((int)fd, F_SETFD, FD_CLOEXEC);
}

// pread from offset 0: a memfd the parent just wrote has its offset at the
// end, and the open file description is shared with the parent.
static uint8_t* read_plan(int fd, size_t* len) {
  size_t cap = 4096, n = 0;
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) cap = (size_t)st.st_size + 1;
  uint8_t* buf = (uint8_t*)malloc(cap);
  bool seekable = true;
  for (;;) {
    if (n == cap) {
      if (cap > (64u << 20)) die(0, "plan: larger than 64 MiB");
      cap *= 2;
      buf = (uint8_t*)realloc(buf, cap);
    }
    if (!buf) die(0, "plan: out of memory");
    ssize_t r = seekable ? pread(fd, buf + n, cap - n, (off_t)n) : read(fd, buf + n, cap - n);
    if (r < 0 && errno == ESPIPE && seekable) {
      seekable = false;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die(errno, "read plan fd %d", fd);
    if (r == 0) break;
    n += (size_t)r;
  }
  *len = n;
  return buf;
}

static const char* ns_name(uint32_t flag) {
  switch (flag) {
    case CLONE_NEWUSER: return "user";
    case CLONE_NEWNS: return "mnt";
    case CLONE_NEWPID: return "pid";
    case CLONE_NEWNET: return "net";
    case CLONE_NEWIPC: return "ipc";
    case CLONE_NEWUTS: return "uts";
    case CLONE_NEWCGROUP: return "cgroup";
    case CLONE_NEWTIME: return "time";
    default: return "unknown";
  }
}

// The joined user namespace's setgroups policy. Called between setns(user)
// and setns(mnt): /proc is still the runtime's, not the container's.
static uint32_t joined_setgroups() {
  char buf[16];
  ssize_t n = read_file("/proc/self/setgroups", buf, sizeof buf);
  if (n < 0) die((int)-n, "read /proc/self/setgroups of the joined user namespace");
  return !strncmp(buf, "deny", 4) ? SETGROUPS_DENY : SETGROUPS_ALLOW;
}

// Opens every path first (they are host paths, which joining the mount
// namespace would change), then joins the user namespace first (after time,
// see below), since it owns the others, and the mount namespace last.
static void join_namespaces(plan* p) {
  if (!p->n_joins) return;
  int* fds = (int*)malloc(p->n_joins * sizeof(int));
  if (!fds) die(0, "out of memory");
  for (size_t i = 0; i < p->n_joins; i++) {
    fds[i] = open(p->joins[i].path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) die(errno, "open %s", p->joins[i].path);
  }
  // The time namespace goes before even the user namespace: carton-init
  // creates a container's time namespace before cloning into the new user
  // namespace, so the host's user namespace owns it, and once inside the
  // container's user namespace we would lack CAP_SYS_ADMIN over it (exec).
  for (int pass = 0; pass < 4; pass++) {
    for (size_t i = 0; i < p->n_joins; i++) {
      uint32_t f = p->joins[i].flag;
      int want = f == CLONE_NEWTIME ? 0 : f == CLONE_NEWUSER ? 1 : f == CLONE_NEWNS ? 3 : 2;
      if (want != pass) continue;
      if (setns(fds[i], (int)f) < 0) die(errno, "setns %s", p->joins[i].path);
      close(fds[i]);
    }
    if (pass == 1 && p->setgroups == SETGROUPS_ASK) p->setgroups = joined_setgroups();
  }
  free(fds);
}

// The offsets can only be written while nobody lives in the new time
// namespace yet; B, cloned next, is its first member.
static void new_time_ns(const plan* p) {
  if (unshare(CLONE_NEWTIME) < 0) die(errno, "unshare time namespace");
  if (!p->n_time_offsets) return;
  char buf[1024];
  size_t n = 0;
  for (size_t i = 0; i < p->n_time_offsets; i++) {
    const plan_time_offset* t = &p->time_offsets[i];
    n += fmt(buf + n, sizeof buf - n, "%s %lld %u\n", t->clock == CLOCK_MONOTONIC ? "monotonic" : "boottime",
             (long long)t->secs, t->nsecs);
  }
  if (int e = -write_file("/proc/self/timens_offsets", buf, n, 0)) die(e, "write /proc/self/timens_offsets");
}

static void ns_flag_names(uint32_t flags, char* buf, size_t cap) {
  size_t n = 0;
  buf[0] = 0;
  for (int bit = 0; bit < 32; bit++) {
    uint32_t f = 1u << bit;
    if (!(flags & f)) continue;
    n += fmt(buf + n, cap - n, "%s%s", n ? "," : "", ns_name(f));
  }
}

int main(int argc, char** argv) {
  // CVE-2016-9962: until execve (which resets it) no process of the
  // container may ptrace us, open /proc/<us>/mem or /proc/<us>/fd (the host's
  // exec fifo) or join our namespaces: that takes a non-dumpable task, whose
  // /proc files the kernel gives to root and guards with CAP_SYS_PTRACE in
  // the host's user namespace. As the very first step, for create and exec.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  reset_signals();
  long plan_fd = argc == 2 ? parse_uint(argv[1]) : -1;
  if (plan_fd < 3) die(0, "usage: carton-init <plan_fd> (fd >= 3)");
  // The plan fd is at or above first_own, so this already covers most of
  // init's fds before we even know first_own.
  cloexec_from((int)plan_fd);

  size_t len;
  uint8_t* buf = read_plan((int)plan_fd, &len);
  close((int)plan_fd);
  static plan p;
  const char* perr = plan_decode(buf, len, &p);
  // Even a bad plan is reported on the socket if its T_FDS could be read:
  // the parent is waiting there, and stderr may be a user's terminal.
  if (p.has_fds && fcntl(p.sync_fd, F_GETFD) >= 0) set_sync_fd(p.sync_fd);
  if (perr) {
    // Answer 'G' with the error instead of 'P'. Replying before 'G' arrives
    // would make us exit with 'G' unread, and Linux then hands the parent
    // ECONNRESET on its first recv() ahead of our 'E'.
    if (get_sync_fd() >= 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      char t;
      if (sync_recv(&t, nullptr, 0) < 0) _exit(1);
    }
    die(0, "%s", perr);
  }
  cloexec_from(p.first_own);
  if (p.fifo_fd >= 0 && fcntl(p.fifo_fd, F_GETFD) < 0) die(errno, "exec fifo fd %d", p.fifo_fd);
  if (p.console_fd >= 0 && fcntl(p.console_fd, F_GETFD) < 0) die(errno, "console socket fd %d", p.console_fd);

  // If the CLI dies while we are being set up, nothing must linger.
  prctl(PR_SET_PDEATHSIG, SIGKILL);

  sync_expect(MSG_GO);

  if (p.has_oom) {
    char v[16];
    size_t n = fmt(v, sizeof v, "%d", p.oom_score_adj);
    // Non-dumpable, our /proc files belong to root: a rootless caller may
    // write its own oom_score_adj only while dumpable. Nothing is joined yet.
    bool toggle = geteuid() != 0;
    if (toggle) prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    int e = -write_file("/proc/self/oom_score_adj", v, n, 0);
    if (toggle) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (e) die(e, "write /proc/self/oom_score_adj");
  }
  idmap_prepare(&p);            // needs the initial user namespace: before any join
  detached_sources_prepare(&p); // the same: host paths, host credentials
  net_devices_prepare(&p);      // in the host's network namespace
  join_namespaces(&p);
  if (p.ns_new & CLONE_NEWTIME) new_time_ns(&p);

  // B must not say anything before A's 'P' is on the socket, or the parent
  // could read B's 'E' (or even 'R') without knowing whose it is. B waits for
  // EOF on this pipe, which comes when A exits, right after sending 'P'.
  int order[2];
  if (pipe2(order, O_CLOEXEC) < 0) die(errno, "pipe");
  // Raw clone without a new stack behaves like fork: B continues right here
  // on a copy of this stack. glibc's fork() knows nothing of CLONE_PARENT or
  // namespace flags.
  uint32_t flags = (p.ns_new & ~(uint32_t)CLONE_NEWTIME) | CLONE_PARENT | SIGCHLD;
  // The parent writes B's uid_map/gid_map/setgroups: a rootless parent may
  // open them only while B is dumpable, so B is born dumpable (fork copies
  // the flag) and turns it off once 'M' says the maps are written (runc does
  // the same). Until then B sits alone in a new user namespace it owns.
  bool map_window = p.ns_new & CLONE_NEWUSER;
  if (map_window) prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  long pid = syscall(SYS_clone, (unsigned long)flags, 0UL, 0UL, 0UL, 0UL);
  if (pid != 0 && map_window) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (pid < 0) {
    char names[128];
    ns_flag_names(p.ns_new & ~(uint32_t)CLONE_NEWTIME, names, sizeof names);
    die(errno, "clone (namespaces: %s)", names[0] ? names : "none");
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); // not inherited through clone
    close(order[1]);
    char c;
    while (read(order[0], &c, 1) < 0 && errno == EINTR) {}
    close(order[0]);
    stage_b(&p);
  }
  close(order[0]);
  net_devices_move(&p, pid);

  uint32_t pid32 = (uint32_t)pid;
  sync_send(MSG_PID, &pid32, sizeof pid32);
  _exit(0);
}
