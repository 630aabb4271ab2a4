// clone3(CLONE_INTO_CGROUP) spawn of carton-init (spawn_cgroup.cc).
#pragma once
#include <sys/types.h>

#include <vector>

// Everything the child needs, built before clone3: it may not allocate.
struct SpawnSpec {
  int cgroupFd;     // O_PATH directory fd of the cgroup2 cgroup to start in
  int exe;          // the sealed memfd, numbered >= 3 + n
  const int* stdio; // stdio[i] becomes fd i (all >= 3 + n), or null: keep 0-2
  const int* high;  // high[i] becomes fd 3 + i; all >= 3 + n
  int n;
  const int* leak; // inheritable fds >= 3 + n to close
  int nleak;
  char* const* argv;
  char* const* envp;
};

// The child's pid, or -1 with *err; *unsupported when the kernel lacks
// clone3 or CLONE_INTO_CGROUP (ENOSYS, E2BIG, EINVAL), so the caller may
// fall back to posix_spawn and move the process itself.
pid_t SpawnIntoCgroup(const SpawnSpec& s, int* err, bool* unsupported);

// The fds >= from without FD_CLOEXEC (read from /proc/self/fd): what the
// child must close, listed beforehand since it may not open a directory.
std::vector<int> InheritableFds(int from);
