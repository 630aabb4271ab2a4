// Starting carton-init already inside the container's cgroup2 cgroup:
// clone3(CLONE_INTO_CGROUP) charges the new task to that cgroup at fork
// time, so there is no moment in which init (or anything it forks) runs
// in carton's own cgroup waiting for the parent to move it.
//
// The caller is Node, a multithreaded process. The child of clone3 is a
// fork-like copy (no CLONE_VM) holding only the calling thread, so locks
// other threads held stay held forever: between clone3 and execveat the
// child makes raw, async-signal-safe system calls only, on data built
// beforehand. CLONE_VFORK keeps the parent waiting until the child has
// exec'd or failed, which is when posix_spawn would have returned too.
#include "spawn_cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// From <linux/sched.h>; spelled out here because glibc 2.36's <sched.h>
// defines the same CLONE_* macros and has no clone3 wrapper.
struct CloneArgs {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
constexpr uint64_t kCloneVfork = 0x00004000ULL;
constexpr uint64_t kCloneClearSighand = 0x100000000ULL;
constexpr uint64_t kCloneIntoCgroup = 0x200000000ULL;
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

[[noreturn]] void ChildFail(int pipeW, int err) {
  while (write(pipeW, &err, sizeof err) < 0 && errno == EINTR) {}
  _exit(127);
}

// Runs in the child: the same table, signal state and exec as SpawnInit's
// posix_spawn path (see spawn.cc), in the same order.
[[noreturn]] void Child(const SpawnSpec& s, int pipeW) {
  // CLONE_CLEAR_SIGHAND reset every handled signal; ignored ones (Node
  // ignores SIGPIPE) stay ignored across exec unless reset here.
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, nullptr); // EINVAL for glibc's own: already default
  }
  // dup2(i, i) would keep close-on-exec; Node opens its stdio that way.
  for (int i = 0; i < 3; i++) {
    if ((s.stdio ? dup2(s.stdio[i], i) : fcntl(i, F_SETFD, 0)) < 0) ChildFail(pipeW, errno);
  }
  for (int i = 0; i < s.n; i++) {
    if (dup2(s.high[i], 3 + i) < 0) ChildFail(pipeW, errno);
  }
  for (int i = 0; i < s.nleak; i++) close(s.leak[i]);
  // Also catches an inheritable fd another thread opened after the scan.
  syscall(SYS_close_range, 3 + s.n, ~0U, CLOSE_RANGE_CLOEXEC);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  syscall(SYS_execveat, s.exe, "", s.argv, s.envp, AT_EMPTY_PATH);
  ChildFail(pipeW, errno);
}

} // namespace

std::vector<int> InheritableFds(int from) {
  std::vector<int> out;
  DIR* d = opendir("/proc/self/fd");
  if (!d) return out;
  int self = dirfd(d);
  while (struct dirent* e = readdir(d)) {
    char* end;
    long fd = strtol(e->d_name, &end, 10);
    if (*end || fd < from || fd == self) continue;
    int fl = fcntl((int)fd, F_GETFD);
    if (fl >= 0 && !(fl & FD_CLOEXEC)) out.push_back((int)fd);
  }
  closedir(d);
  return out;
}

pid_t SpawnIntoCgroup(const SpawnSpec& s, int* err, bool* unsupported) {
  *unsupported = false;
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) {
    *err = errno;
    return -1;
  }
  // The child's dup2 onto 3.. must not hit its own error pipe.
  int pr = fcntl(p[0], F_DUPFD_CLOEXEC, 3 + s.n);
  int pw = pr < 0 ? -1 : fcntl(p[1], F_DUPFD_CLOEXEC, 3 + s.n);
  close(p[0]);
  close(p[1]);
  if (pw < 0) {
    *err = errno;
    if (pr >= 0) close(pr);
    return -1;
  }

  CloneArgs a;
  memset(&a, 0, sizeof a);
  a.flags = kCloneVfork | kCloneClearSighand | kCloneIntoCgroup;
  a.exit_signal = SIGCHLD;
  a.cgroup = (uint64_t)s.cgroupFd;
  // Blocked until the child has reset its dispositions: a signal in
  // between must not run one of Node's handlers in the copy.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  long pid = syscall(SYS_clone3, &a, sizeof a);
  if (pid == 0) Child(s, pw);
  int cloneErr = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close(pw);
  if (pid < 0) {
    close(pr);
    *err = cloneErr;
    *unsupported = cloneErr == ENOSYS || cloneErr == E2BIG || cloneErr == EINVAL;
    return -1;
  }
  // EOF: the exec happened (the pipe was close-on-exec). An int: it failed.
  int childErr = 0;
  ssize_t r;
  do r = read(pr, &childErr, sizeof childErr);
  while (r < 0 && errno == EINTR);
  close(pr);
  if (r == (ssize_t)sizeof childErr) {
    int st;
    while (waitpid((pid_t)pid, &st, 0) < 0 && errno == EINTR) {}
    *err = childErr;
    return -1;
  }
  return (pid_t)pid;
}
