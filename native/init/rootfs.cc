// Path resolution inside the rootfs, and the rootfs itself: propagation,
// the self-bind, pivot_root and the final read-only remount of "/".
//
// Every in-container path goes through openat2(RESOLVE_IN_ROOT): symlinks and
// ".." are resolved as if the rootfs were "/", so an image (or a previous
// mount) cannot point a target outside of it. The resulting O_PATH fd is then
// mounted on through its /proc/self/fd magic link, which pins that inode.
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"
#include "util.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

// After pivot_root the magic links live in the container's /proc, which a
// container may not have; see mount_point().
static bool g_proc_fd_ok = true;

int open_in_root(int rootfd, const char* path) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const char* rel = path[0] ? path : ".";
  for (int tries = 0;; tries++) {
    long fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
    // EAGAIN: a concurrent rename raced the scoped walk; the kernel asks for a retry.
    if (fd < 0 && errno == EAGAIN && tries < 32) continue;
    return (int)fd;
  }
}

bool split_path(const char* path, char** parent, const char** name) {
  size_t len = strlen(path);
  while (len > 1 && path[len - 1] == '/') len--;
  const char* slash = (const char*)memrchr(path, '/', len);
  const char* base = slash ? slash + 1 : path;
  size_t blen = len - (size_t)(base - path);
  if (!blen || (blen == 1 && base[0] == '.') || (blen == 2 && base[0] == '.' && base[1] == '.')) return false;
  // One allocation: "<parent>\0<name>\0".
  size_t plen = slash && slash > path ? (size_t)(slash - path) : 1;
  char* buf = (char*)malloc(plen + blen + 2);
  if (!buf) die(0, "out of memory");
  if (!slash)
    buf[0] = '.';
  else
    memcpy(buf, slash > path ? path : "/", plen);
  buf[plen] = 0;
  memcpy(buf + plen + 1, base, blen);
  buf[plen + 1 + blen] = 0;
  *parent = buf;
  *name = buf + plen + 1;
  return true;
}

// Replaces the component buf[start..end) (a symlink whose target does not
// exist yet) by its target, keeping the rest of the path. A relative target
// stays relative to the component's directory; the walk then starts over from
// the root, so the target is still resolved inside it.
static char* substitute_link(const char* buf, size_t start, size_t end, size_t len, const char* target) {
  const char* rest = end < len ? buf + end + 1 : "";
  size_t plen = target[0] == '/' ? 0 : start;
  size_t tlen = strlen(target), rlen = strlen(rest);
  char* out = (char*)malloc(plen + tlen + rlen + 2);
  if (!out) die(0, "out of memory");
  memcpy(out, buf, plen);
  memcpy(out + plen, target, tlen);
  out[plen + tlen] = '/';
  memcpy(out + plen + tlen + 1, rest, rlen + 1);
  return out;
}

int mkdir_all_in_root(int rootfd, const char* path, create_mode mode, unsigned file_mode) {
  int fd = open_in_root(rootfd, path);
  if (fd >= 0 || errno != ENOENT || mode == CREATE_NONE) return fd;

  // Walk from the root, resolving each prefix again from rootfd (so a
  // symlink met on the way is still scoped) and creating what is missing in
  // the directory the previous prefix resolved to.
  char* buf = strdup(path);
  if (!buf) die(0, "out of memory");
  int links = 0, cur = -1, err = 0;
restart:
  size_t len = strlen(buf), i = 0;
  cur = open_in_root(rootfd, "/");
  while (cur >= 0) {
    while (i < len && buf[i] == '/') i++;
    if (i >= len) break;
    size_t start = i;
    while (i < len && buf[i] != '/') i++;
    char saved = buf[i];
    buf[i] = 0;
    bool last = i >= len || buf[i + 1 + strspn(buf + i + 1, "/")] == 0;
    int next = open_in_root(rootfd, buf);
    if (next < 0 && errno == ENOENT) {
      const char* name = buf + start;
      int r = last && mode == CREATE_FILE ? mknodat(cur, name, S_IFREG | file_mode, 0) : mkdirat(cur, name, 0755);
      if (r < 0 && errno == EEXIST) {
        // Exists but does not resolve: a dangling symlink (images have
        // them, e.g. /var/run -> /run). Create where it points instead.
        char target[4096];
        ssize_t n = readlinkat(cur, name, target, sizeof target - 1);
        if (n > 0) {
          if (++links > 40) {
            err = ELOOP;
            break;
          }
          target[n] = 0;
          char* nb = substitute_link(buf, start, i, len, target);
          free(buf);
          buf = nb;
          close(cur);
          goto restart;
        }
      } else if (r < 0) {
        err = errno;
        break;
      }
      next = open_in_root(rootfd, buf);
    }
    err = next < 0 ? errno : 0;
    close(cur);
    cur = next;
    buf[i] = saved;
  }
  free(buf);
  if (err) {
    if (cur >= 0) close(cur);
    errno = err;
    return -1;
  }
  return cur;
}

const char* mount_point(int fd, const char* path, char buf[32]) { return g_proc_fd_ok ? fd_path(fd, buf) : path; }

unsigned long locked_flags(int fd) {
  struct statfs sf;
  if (fstatfs(fd, &sf) < 0) return 0;
  // ST_NOSUID/NODEV/NOEXEC/NOATIME/NODIRATIME/RELATIME share MS_* values.
  return (unsigned long)sf.f_flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME);
}

int remount(int fd, const char* path, unsigned long flags, const char* data) {
  char b[32];
  const char* t = mount_point(fd, path, b);
  if (mount(nullptr, t, nullptr, MS_REMOUNT | flags, data) == 0) return 0;
  if (errno != EPERM) return -1;
  // A user namespace may not clear flags the mount already had; keep them.
  unsigned long keep = locked_flags(fd) & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
  if (flags & (MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)) {
    keep |= locked_flags(fd) & (MS_NOATIME | MS_NODIRATIME | MS_RELATIME);
    flags &= ~(unsigned long)(MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME);
  }
  return mount(nullptr, t, nullptr, MS_REMOUNT | flags | keep, data);
}

// pivot_root refuses a new root whose parent mount is shared, and a shared
// parent would also carry our self-bind to the host. runc does the same.
static void make_parent_private(const char* rootfs) {
  char* buf = read_mountinfo();
  char best[4096] = "";
  bool best_shared = false;
  size_t best_len = 0;
  mountinfo_entry e;
  for (char* cur = buf; mountinfo_next(&cur, &e);) {
    const char* mp = e.mountpoint;
    size_t m = strlen(mp);
    // longer than any path, so no ancestor of the rootfs
    if (m >= sizeof best) continue;
    bool ancestor = !strcmp(mp, "/") || path_under(rootfs, mp);
    if (ancestor && m >= best_len) { // ">=": the last of stacked mounts is on top
      best_len = m;
      memcpy(best, mp, m + 1);
      best_shared = strstr(e.optional, "shared:") != nullptr;
    }
  }
  free(buf);
  if (best_shared && mount(nullptr, best, nullptr, MS_PRIVATE, nullptr) < 0)
    die(errno, "make parent mount %s of rootfs private", best);
}

int rootfs_prepare(const plan* p) {
  char* rootfs = realpath(p->rootfs, nullptr);
  if (!rootfs) die(errno, "rootfs %s", p->rootfs);
  // Without a mount namespace of its own (runc's chroot case) the mounts we
  // make land in the runtime's namespace: its propagation is not ours to
  // change, and a chroot needs no mount point of its own.
  if (plan_has_mount_ns(p)) {
    // Default rslave: the container must never propagate mounts to the host.
    unsigned long prop = p->rootfs_propagation ? p->rootfs_propagation : MS_SLAVE | MS_REC;
    // An unbindable tree refuses every bind out of it: the rootfs's own
    // below, and the bind mounts' sources. It is private until pivot_root;
    // rootfs_enter() then makes the container's "/" unbindable.
    if (prop & MS_UNBINDABLE) prop = (prop & ~(unsigned long)MS_UNBINDABLE) | MS_PRIVATE;
    if (mount(nullptr, "/", nullptr, prop, nullptr) < 0) die(errno, "mount propagation 0x%lx of /", prop);
    // Only an explicitly shared (or non-recursive) propagation can leave the
    // rootfs's parent shared.
    if ((prop & MS_SHARED) || !(prop & MS_REC)) make_parent_private(rootfs);
    // A mount point of its own is what pivot_root needs, and it keeps the
    // container's mounts off the host's copy of the directory.
    if (mount(rootfs, rootfs, nullptr, MS_BIND | MS_REC, nullptr) < 0) die(errno, "bind rootfs %s", rootfs);
  }
  int fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) die(errno, "open rootfs %s", rootfs);
  free(rootfs);
  struct statfs sf;
  if (statfs("/proc/self/fd", &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
    die(0, "/proc is not procfs in the mount namespace of the runtime");
  return fd;
}

int rootfs_enter(const plan* p, int rootfd) {
  bool mnt = plan_has_mount_ns(p);
  if (!mnt) {
    if (fchdir(rootfd) < 0) die(errno, "chdir to rootfs %s", p->rootfs);
    if (chroot(".") < 0) die(errno, "chroot %s", p->rootfs);
  } else if (p->no_pivot) {
    if (fchdir(rootfd) < 0) die(errno, "chdir to rootfs %s", p->rootfs);
    if (mount(".", "/", nullptr, MS_MOVE, nullptr) < 0) die(errno, "move rootfs %s to /", p->rootfs);
    if (chroot(".") < 0) die(errno, "chroot %s", p->rootfs);
  } else {
    int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (oldroot < 0) die(errno, "open old root");
    if (fchdir(rootfd) < 0) die(errno, "chdir to rootfs %s", p->rootfs);
    // pivot_root(".", ".") stacks the old root on top of the new one;
    // detaching it (after making it a slave so the unmount cannot propagate
    // to the host) leaves only the rootfs. No put_old directory is needed.
    if (syscall(SYS_pivot_root, ".", ".") < 0) die(errno, "pivot_root %s", p->rootfs);
    // Our cwd is still the new root's mount, so "." would make the
    // container's own mounts slaves (and a shared volume one-way). Address
    // the old root through a directory of its own, as runc does.
    if (fchdir(oldroot) < 0) die(errno, "chdir to old root");
    close(oldroot);
    if (mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0) die(errno, "make old root rslave");
    if (umount2(".", MNT_DETACH) < 0) die(errno, "unmount old root");
  }
  if (chdir("/") < 0) die(errno, "chdir /");
  close(rootfd);
  int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) die(errno, "open /");
  struct statfs sf;
  g_proc_fd_ok = statfs("/proc/self/fd", &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
  return fd;
}

void root_propagation(const plan* p) {
  // Only after pivot_root can "/" be made shared (pivot_root refuses shared
  // mounts), and only after the last bind (masked and read-only paths
  // included) unbindable: every bind out of it would fail with EINVAL.
  if (plan_has_mount_ns(p) && (p->rootfs_propagation & (MS_SHARED | MS_UNBINDABLE)) &&
      mount(nullptr, "/", nullptr, p->rootfs_propagation, nullptr) < 0)
    die(errno, "mount propagation 0x%x of /", p->rootfs_propagation);
}

void root_readonly() {
  int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) die(errno, "open /");
  unsigned long keep = locked_flags(fd) & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
  if (mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, nullptr) < 0)
    die(errno, "remount / read-only");
  close(fd);
}
