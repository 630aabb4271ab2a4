// Id-mapped bind mounts (T_IDMAP_MOUNT, src/plan/format.ts).
//
// MOUNT_ATTR_IDMAP needs CAP_SYS_ADMIN in the user namespace that owns the
// source's superblock, which for a host directory is the initial one. Stage
// B may already be inside the container's user namespace, so the mapped
// copy is made by stage A, before it joins or creates anything: a detached
// clone of the source (open_tree(OPEN_TREE_CLONE)) gets the mapping of a
// throwaway user namespace, and B, which inherits the fd through clone(),
// attaches it with move_mount() where an ordinary bind would go.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ext.h"
#include "util.h"

static void write_map(long pid, const char* file, const plan_idmap_range* r, size_t n, const plan_mount* m) {
  char path[64], buf[340 * 36];
  size_t len = 0;
  for (size_t i = 0; i < n; i++)
    len += fmt(buf + len, sizeof buf - len, "%u %u %u\n", r[i].container, r[i].host, r[i].size);
  fmt(path, sizeof path, "/proc/%ld/%s", pid, file);
  if (int e = -write_file(path, buf, len, 0))
    die(e, "mount %s to %s: write %s of its id mapping", m->source, m->target, file);
}

// A user namespace holding the mount's maps, as an fd. A helper child is
// born in it and waits on a pipe while we write its maps from outside and
// open its namespace; closing the pipe lets it go (it also goes if we die).
static int userns_for(const plan_mount* m) {
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) < 0) die(errno, "pipe");
  // We are not dumpable (main.cc), and a child inherits that: its /proc
  // files would belong to root, out of a rootless caller's reach. The helper
  // runs no code of anyone's, and we have joined nothing yet.
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  long pid = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), 0UL, 0UL, 0UL, 0UL);
  if (pid != 0) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (pid < 0) die(errno, "mount %s to %s: create a user namespace for its id mapping", m->source, m->target);
  if (pid == 0) {
    close(pfd[1]);
    char c;
    while (read(pfd[0], &c, 1) < 0 && errno == EINTR) {}
    _exit(0);
  }
  close(pfd[0]);
  // Without CAP_SETGID over the new namespace (a rootless caller) the
  // kernel only takes a gid_map once setgroups is denied.
  if (geteuid() != 0) {
    char path[64];
    fmt(path, sizeof path, "/proc/%ld/setgroups", pid);
    write_file(path, "deny", 4, 0);
  }
  write_map(pid, "uid_map", m->idmap->uid, m->idmap->n_uid, m);
  write_map(pid, "gid_map", m->idmap->gid, m->idmap->n_gid, m);
  char path[64];
  fmt(path, sizeof path, "/proc/%ld/ns/user", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  int e = errno;
  close(pfd[1]);
  while (waitpid((pid_t)pid, nullptr, 0) < 0 && errno == EINTR) {}
  if (fd < 0) die(e, "open %s", path);
  return fd;
}

// A detached copy of the mount's source (of its whole tree with MS_REC), as
// an fd for mount_setattr and, later, move_mount.
static int clone_source(const plan_mount* m) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((m->flags & MS_REC) ? AT_RECURSIVE : 0);
  int fd = open_tree(AT_FDCWD, m->source, flags);
  if (fd < 0) die(errno, "mount %s to %s: open_tree %s", m->source, m->target, m->source);
  return fd;
}

void idmap_prepare(plan* p) {
  for (size_t i = 0; i < p->n_mounts; i++) {
    plan_mount* m = &p->mounts[i];
    if (!m->idmap) continue;
    int uns = userns_for(m);
    int fd = clone_source(m);
    struct mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = (uint64_t)uns;
    if (mount_setattr(fd, "", AT_EMPTY_PATH | (m->idmap->recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
      die(errno, "mount %s to %s: set the id mapping", m->source, m->target);
    close(uns);
    m->idmap->fd = fd;
  }
}

// runc opens bind sources on the host side when the container's root cannot
// (a user namespace: a 0700 directory of host root on the way is "nobody's").
// The copy is made a slave, as a less privileged mount namespace's copies
// are: mounts reach it from the host, none go back.
void detached_sources_prepare(plan* p) {
  for (size_t i = 0; i < p->n_mounts; i++) {
    plan_mount* m = &p->mounts[i];
    if (!m->detached || m->idmap) continue;
    int fd = clone_source(m);
    struct mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.propagation = MS_SLAVE;
    if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
      die(errno, "mount %s to %s: make the copy of %s a slave", m->source, m->target, m->source);
    m->src_fd = fd;
  }
}

int idmap_attach(const plan_mount* m, int target_fd) {
  int r = move_mount(m->idmap->fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
  int e = errno;
  close(m->idmap->fd);
  m->idmap->fd = -1;
  errno = e;
  return r;
}
