// The plan's mounts, device nodes, symlinks, masked and read-only paths.
// Targets are resolved inside the root (rootfs.cc) and mounted on through the
// resolved fd, never through a path string that could be re-resolved.
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "copyup.h"
#include "ext.h"
#include "fs.h"
#include "util.h"

static const unsigned long PROPAGATION = MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE;

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

// Files under /proc that lxcfs-style bind mounts may replace (runc's list);
// anything else under /proc stays the kernel's.
static const char* const PROC_ALLOWED[] = {
    "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo",  "/proc/stat",    "/proc/swaps",
    "/proc/uptime",  "/proc/loadavg",   "/proc/slabinfo", "/proc/net/dev", "/proc/sys/kernel/ns_last_pid"};

// A mount over /proc, or inside it, would let the config (or a symlink in
// the image: CVE-2019-19921, CVE-2023-27561) hide what masking and the LSM
// rely on. Judged on where the target really resolved to, not on its
// spelling: only procfs may go on /proc itself, only the list above inside.
static void check_proc_target(const plan_mount* m, int rootfd, int fd, int srcfd) {
  char root[4096], dst[4096], b[32];
  ssize_t rl = readlink(fd_path(rootfd, b), root, sizeof root - 1);
  ssize_t dl = rl < 0 ? -1 : readlink(fd_path(fd, b), dst, sizeof dst - 1);
  if (rl < 0 || dl < 0) die(errno, "resolve mount point %s", m->target);
  root[rl] = 0;
  dst[dl] = 0;
  const char* rel = dst;
  if (rl > 1) {
    if (strncmp(dst, root, (size_t)rl) || (dst[rl] && dst[rl] != '/'))
      die(0, "mount point %s resolves outside the rootfs (%s)", m->target, dst);
    rel = dst[rl] ? dst + rl : "/";
  }
  if (!strcmp(rel, "/proc")) {
    struct statfs sf;
    bool procfs = m->kind == MOUNT_FS ? !strcmp(m->fstype, "proc")
                                      : srcfd >= 0 && fstatfs(srcfd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
    if (!procfs) die(0, "\"%s\" cannot be mounted because it is not of type proc", m->target);
  } else if (!strncmp(rel, "/proc/", 6)) {
    for (const char* ok : PROC_ALLOWED)
      if (!strcmp(rel, ok)) return;
    die(0, "\"%s\" cannot be mounted because it is inside /proc", m->target);
  }
}

// proc and sysfs go on a real directory, never through a symlink the image
// placed there (CVE-2023-28642: a /proc symlink moved procfs elsewhere and
// the LSM label writes with it). runc's wording.
static void check_ordinary_dir(const plan_mount* m, int rootfd) {
  if (strcmp(m->fstype, "proc") && strcmp(m->fstype, "sysfs")) return;
  char* parent;
  const char* name;
  if (!split_path(m->target, &parent, &name)) return;
  int pfd = open_in_root(rootfd, parent);
  struct stat st;
  if (pfd >= 0 && fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
    die(0, "filesystem \"%s\" must be mounted on ordinary directory", m->fstype);
  if (pfd >= 0) close(pfd);
  free(parent);
}

// After a mount, the fd we resolved still names the directory underneath
// the new mount; propagation, remounts and attributes must address the new
// mount, so the target is resolved again.
static int reopen(int rootfd, int fd, const char* target) {
  close(fd);
  fd = open_in_root(rootfd, target);
  if (fd < 0) die(errno, "reopen mount point %s", target);
  return fd;
}

static void mount_one(const plan_mount* m, int rootfd) {
  const char* src = m->source[0] ? m->source : m->fstype[0] ? m->fstype : "none";
  const char* data = m->data[0] ? m->data : nullptr;
  char b[32], sb[32];
  int fd;
  unsigned long extra = m->flags & ~(unsigned long)(MS_BIND | MS_REC | MS_REMOUNT | PROPAGATION);

  switch (m->kind) {
    case MOUNT_FS:
      check_ordinary_dir(m, rootfd);
      fd = mkdir_all_in_root(rootfd, m->target, CREATE_DIR, 0);
      if (fd < 0) die(errno, "create mount point %s", m->target);
      check_proc_target(m, rootfd, fd, -1);
      if (mount(src, fd_path(fd, b), m->fstype[0] ? m->fstype : nullptr, m->flags, data) < 0)
        die(errno, "mount %s to %s", src, m->target);
      break;
    case MOUNT_BIND: {
      // An id-mapped or detached source was opened by stage A, outside any
      // user namespace; B may not even be able to reach its path.
      int pre = m->idmap ? m->idmap->fd : m->detached ? m->src_fd : -1;
      struct stat st;
      if ((pre >= 0 ? fstat(pre, &st) : stat(m->source, &st)) < 0)
        die(errno, "mount %s to %s: stat %s", m->source, m->target, m->source);
      fd = mkdir_all_in_root(rootfd, m->target, S_ISDIR(st.st_mode) ? CREATE_DIR : CREATE_FILE, 0644);
      if (fd < 0) die(errno, "create mount point %s", m->target);
      // The source is opened too, so what we stat()ed is what gets bound.
      int sfd = pre >= 0 ? -1 : open(m->source, O_PATH | O_CLOEXEC);
      if (pre < 0 && sfd < 0) die(errno, "mount %s to %s: open %s", m->source, m->target, m->source);
      check_proc_target(m, rootfd, fd, pre >= 0 ? pre : sfd);
      int r;
      if (m->idmap) {
        r = idmap_attach(m, fd);
      } else if (pre >= 0) {
        r = move_mount(pre, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
        int e = errno;
        close(pre);
        errno = e;
      } else {
        r = mount(fd_path(sfd, sb), fd_path(fd, b), nullptr, MS_BIND | (m->flags & MS_REC), nullptr);
      }
      if (r < 0) die(errno, "mount %s to %s", m->source, m->target);
      if (sfd >= 0) close(sfd);
      if (extra) {
        // A bind ignores flags; they take effect only through a remount.
        fd = reopen(rootfd, fd, m->target);
        if (remount(fd, m->target, MS_BIND | extra, nullptr) < 0)
          die(errno, "remount %s to %s with flags 0x%lx", m->source, m->target, extra);
      }
      break;
    }
    case MOUNT_TMP_COPY_UP:
      fd = mkdir_all_in_root(rootfd, m->target, CREATE_DIR, 0);
      if (fd < 0) die(errno, "create mount point %s", m->target);
      tmpcopyup_mount(m, fd);
      fd = reopen(rootfd, fd, m->target);
      break;
    default: // MOUNT_REMOUNT
      fd = open_in_root(rootfd, m->target);
      if (fd < 0) die(errno, "remount %s", m->target);
      if (remount(fd, m->target, m->flags & ~(unsigned long)MS_REMOUNT, data) < 0) die(errno, "remount %s", m->target);
      break;
  }

  if (m->propagation || m->attr_clr || m->attr_set) {
    if (m->kind != MOUNT_REMOUNT) fd = reopen(rootfd, fd, m->target);
    if (m->propagation && mount(nullptr, fd_path(fd, b), nullptr, m->propagation, nullptr) < 0)
      die(errno, "set propagation 0x%x of %s", m->propagation, m->target);
    if (m->attr_clr || m->attr_set) {
      struct mount_attr attr;
      memset(&attr, 0, sizeof attr);
      attr.attr_set = m->attr_set;
      attr.attr_clr = m->attr_clr;
      if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
        die(errno, "mount_setattr %s", m->target);
    }
  }
  close(fd);
}

void apply_mounts(const plan* p, int rootfd) {
  for (size_t i = 0; i < p->n_mounts; i++) mount_one(&p->mounts[i], rootfd);
}

void mounts_readonly_late(const plan* p, int rootfd) {
  for (size_t i = 0; i < p->n_mounts; i++) {
    const plan_mount* m = &p->mounts[i];
    if (!m->defer_ro) continue;
    int fd = open_in_root(rootfd, m->target);
    if (fd < 0) die(errno, "remount %s read-only", m->target);
    if (remount(fd, m->target, m->flags | MS_RDONLY, m->data[0] ? m->data : nullptr) < 0)
      die(errno, "remount %s read-only", m->target);
    close(fd);
  }
}

// Binds the host's node at the same path over an empty file: what a user
// namespace (which may not mknod) gets instead of a device node.
static void bind_device(int dirfd, const char* name, const plan_device* d) {
  if (mknodat(dirfd, name, S_IFREG | 0644, 0) < 0 && errno != EEXIST) die(errno, "create %s", d->path);
  int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) die(errno, "open %s", d->path);
  int sfd = open(d->path, O_PATH | O_CLOEXEC);
  if (sfd < 0) die(errno, "mount %s to %s: open %s", d->path, d->path, d->path);
  char b[32], sb[32];
  if (mount(fd_path(sfd, sb), fd_path(fd, b), nullptr, MS_BIND, nullptr) < 0)
    die(errno, "mount %s to %s", d->path, d->path);
  close(sfd);
  close(fd);
}

void create_devices(const plan* p, int rootfd) {
  for (size_t i = 0; i < p->n_devices; i++) {
    const plan_device* d = &p->devices[i];
    char* parent;
    const char* name;
    if (!split_path(d->path, &parent, &name)) die(EINVAL, "mknod %s", d->path);
    int dirfd = mkdir_all_in_root(rootfd, parent, CREATE_DIR, 0);
    if (dirfd < 0) die(errno, "mkdir %s", parent);
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      // Whatever the image had there is replaced; a directory is left alone
      // (as runc leaves any existing node).
      if (S_ISDIR(st.st_mode)) goto next;
      if (unlinkat(dirfd, name, 0) < 0) die(errno, "remove %s", d->path);
    }
    if (d->bind) {
      bind_device(dirfd, name, d);
    } else {
      mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
      if (mknodat(dirfd, name, type | (d->mode & 07777), makedev(d->major, d->minor)) < 0) {
        // Without CAP_MKNOD (user namespace) a bind of the host's node is the
        // only way; a fifo has no host node to bind.
        if (errno != EPERM || d->type == 'p') die(errno, "mknod %s", d->path);
        bind_device(dirfd, name, d);
      } else if (fchownat(dirfd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0) {
        die(errno, "chown %s", d->path);
      }
    }
  next:
    close(dirfd);
    free(parent);
  }
}

void create_symlinks(const plan* p, int rootfd) {
  for (size_t i = 0; i < p->n_symlinks; i++) {
    const plan_symlink* s = &p->symlinks[i];
    char* parent;
    const char* name;
    if (!split_path(s->path, &parent, &name)) die(EINVAL, "symlink %s %s", s->target, s->path);
    int dirfd = mkdir_all_in_root(rootfd, parent, CREATE_DIR, 0);
    if (dirfd < 0) die(errno, "mkdir %s", parent);
    if (symlinkat(s->target, dirfd, name) < 0 && errno != EEXIST) die(errno, "symlink %s %s", s->target, s->path);
    close(dirfd);
    free(parent);
  }
}

// The container's /dev/null is what masks files; if the image or a mount
// made it something else, binding it would expose that instead
// (CVE-2025-31133), so it must really be the 1:3 character device.
static int open_dev_null(int rootfd) {
  int fd = open_in_root(rootfd, "/dev/null");
  if (fd < 0) die(errno, "open /dev/null");
  struct stat st;
  if (fstat(fd, &st) < 0) die(errno, "stat /dev/null");
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
    die(0, "mask paths: /dev/null is not the null device (char 1:3)");
  return fd;
}

void mask_paths(const plan* p, int rootfd) {
  int nullfd = -1;
  for (size_t i = 0; i < p->n_masked; i++) {
    const char* path = p->masked[i];
    int fd = open_in_root(rootfd, path);
    if (fd < 0 && errno == ENOENT) continue;
    if (fd < 0) die(errno, "mask %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0) die(errno, "stat %s", path);
    char b[32], nb[32];
    if (S_ISDIR(st.st_mode)) {
      if (mount("tmpfs", mount_point(fd, path, b), "tmpfs", MS_RDONLY, nullptr) < 0)
        die(errno, "mount tmpfs to %s", path);
    } else {
      if (nullfd < 0) nullfd = open_dev_null(rootfd);
      if (mount(mount_point(nullfd, "/dev/null", nb), mount_point(fd, path, b), nullptr, MS_BIND, nullptr) < 0)
        die(errno, "mount /dev/null to %s", path);
    }
    close(fd);
  }
  if (nullfd >= 0) close(nullfd);
}

void readonly_paths(const plan* p, int rootfd) {
  for (size_t i = 0; i < p->n_readonly; i++) {
    const char* path = p->readonly[i];
    int fd = open_in_root(rootfd, path);
    if (fd < 0 && errno == ENOENT) continue;
    if (fd < 0) die(errno, "readonly path %s", path);
    char b[32];
    const char* t = mount_point(fd, path, b);
    if (mount(t, t, nullptr, MS_BIND | MS_REC, nullptr) < 0) die(errno, "bind %s onto itself", path);
    fd = reopen(rootfd, fd, path);
    // The remount must repeat nosuid/nodev/noexec, or a user namespace
    // refuses it as an attempt to clear locked flags.
    unsigned long keep = locked_flags(fd) & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
    if (mount(nullptr, mount_point(fd, path, b), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_REC | keep, nullptr) <
        0)
      die(errno, "remount %s read-only", path);
    close(fd);
  }
}
