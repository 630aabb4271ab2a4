// tmpcopyup (runc, crun; podman --read-only adds it to /tmp, /var/tmp and
// /run): a tmpfs at the target that starts with a copy of what the image
// has there. The tmpfs is built detached (fsopen/fsmount), filled, and only
// then moved onto the target, so the target never shows a half copy.
//
// The source is the image's directory, which the container controls: every
// step is *at() relative to an fd opened O_NOFOLLOW, so no symlink in it is
// followed (symlinks are copied as symlinks); only directories, regular
// files, symlinks, fifos and device nodes are copied, never across another
// mount, and at most MAX_DEPTH levels deep. Modes, owners and times are kept.
// (The target's own mode goes to the tmpfs root, as runc does.)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copyup.h"
#include "util.h"

static const int MAX_DEPTH = 64;

static void copy_data(int in, int out, const char* target, const char* name) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die(errno, "tmpcopyup %s: read %s", target, name);
    if (n == 0) return;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf + off, (size_t)(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) die(errno, "tmpcopyup %s: write %s", target, name);
      off += w;
    }
  }
}

// Owner, mode (after chown, which clears set-id bits) and times of `name` in dst.
static void copy_attrs(int dst, const char* name, const struct stat* st, const char* target) {
  if (fchownat(dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
    die(errno, "tmpcopyup %s: chown %s", target, name);
  if (!S_ISLNK(st->st_mode) && fchmodat(dst, name, st->st_mode & 07777, 0) < 0)
    die(errno, "tmpcopyup %s: chmod %s", target, name);
  struct timespec ts[2] = {st->st_atim, st->st_mtim};
  utimensat(dst, name, ts, AT_SYMLINK_NOFOLLOW);
}

static void copy_dir(int src, int dst, dev_t dev, int depth, const char* target) {
  if (depth > MAX_DEPTH) die(0, "tmpcopyup %s: more than %d levels of directories", target, MAX_DEPTH);
  int rfd = dup(src);
  if (rfd < 0) die(errno, "tmpcopyup %s: dup", target);
  DIR* d = fdopendir(rfd);
  if (!d) die(errno, "tmpcopyup %s: opendir", target);
  while (struct dirent* e = readdir(d)) {
    const char* n = e->d_name;
    if (!strcmp(n, ".") || !strcmp(n, "..")) continue;
    struct stat st;
    if (fstatat(src, n, &st, AT_SYMLINK_NOFOLLOW) < 0) die(errno, "tmpcopyup %s: stat %s", target, n);
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev) continue; // another mount: not the image's
      if (mkdirat(dst, n, 0700) < 0) die(errno, "tmpcopyup %s: mkdir %s", target, n);
      int s = openat(src, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      int t = openat(dst, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (s < 0 || t < 0) die(errno, "tmpcopyup %s: open %s", target, n);
      copy_dir(s, t, dev, depth + 1, target);
      close(s);
      close(t);
    } else if (S_ISREG(st.st_mode)) {
      int s = openat(src, n, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
      if (s < 0) die(errno, "tmpcopyup %s: open %s", target, n);
      int t = openat(dst, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (t < 0) die(errno, "tmpcopyup %s: create %s", target, n);
      copy_data(s, t, target, n);
      close(s);
      close(t);
    } else if (S_ISLNK(st.st_mode)) {
      char link[4096];
      ssize_t len = readlinkat(src, n, link, sizeof link - 1);
      if (len < 0) die(errno, "tmpcopyup %s: readlink %s", target, n);
      link[len] = 0;
      if (symlinkat(link, dst, n) < 0) die(errno, "tmpcopyup %s: symlink %s", target, n);
    } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      if (mknodat(dst, n, st.st_mode & S_IFMT, st.st_rdev) < 0) die(errno, "tmpcopyup %s: mknod %s", target, n);
    } else {
      continue; // sockets: nothing to copy
    }
    copy_attrs(dst, n, &st, target);
  }
  closedir(d);
}

// The plan's data ("mode=755,size=65536k") as fsconfig calls; superblock
// flags that mount(2) took in its flags word go the same way.
static void configure(int fsfd, const plan_mount* m) {
  const char* source = m->source[0] ? m->source : "tmpfs";
  if (fsconfig(fsfd, FSCONFIG_SET_STRING, "source", source, 0) < 0) die(errno, "mount tmpfs to %s: source", m->target);
  char* data = strdup(m->data);
  if (!data) die(0, "out of memory");
  for (char *save = nullptr, *kv = strtok_r(data, ",", &save); kv; kv = strtok_r(nullptr, ",", &save)) {
    char* eq = strchr(kv, '=');
    if (eq) *eq = 0;
    int r = eq ? fsconfig(fsfd, FSCONFIG_SET_STRING, kv, eq + 1, 0) : fsconfig(fsfd, FSCONFIG_SET_FLAG, kv, nullptr, 0);
    if (r < 0) die(errno, "mount tmpfs to %s: option %s", m->target, kv);
  }
  free(data);
  const struct {
    unsigned long ms;
    const char* key;
  } sb[] = {{MS_SYNCHRONOUS, "sync"}, {MS_DIRSYNC, "dirsync"}, {MS_LAZYTIME, "lazytime"}};
  for (const auto& f : sb)
    if ((m->flags & f.ms) && fsconfig(fsfd, FSCONFIG_SET_FLAG, f.key, nullptr, 0) < 0)
      die(errno, "mount tmpfs to %s: %s", m->target, f.key);
  if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) die(errno, "mount tmpfs to %s", m->target);
}

void tmpcopyup_mount(const plan_mount* m, int targetfd) {
  int fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC);
  if (fsfd < 0) die(errno, "mount tmpfs to %s: fsopen", m->target);
  configure(fsfd, m);
  unsigned attrs = 0;
  const struct {
    unsigned long ms;
    unsigned attr;
  } map[] = {{MS_NOSUID, MOUNT_ATTR_NOSUID},          {MS_NODEV, MOUNT_ATTR_NODEV},
             {MS_NOEXEC, MOUNT_ATTR_NOEXEC},          {MS_NOATIME, MOUNT_ATTR_NOATIME},
             {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME},  {MS_STRICTATIME, MOUNT_ATTR_STRICTATIME},
             {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW}};
  for (const auto& f : map)
    if (m->flags & f.ms) attrs |= f.attr;
  int mnt = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
  if (mnt < 0) die(errno, "mount tmpfs to %s: fsmount", m->target);
  close(fsfd);

  int src = openat(targetfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (src < 0) die(errno, "tmpcopyup %s: open", m->target);
  struct stat st;
  if (fstat(src, &st) < 0) die(errno, "tmpcopyup %s: stat", m->target);
  int dst = openat(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dst < 0) die(errno, "tmpcopyup %s: open tmpfs", m->target);
  copy_dir(src, dst, st.st_dev, 0, m->target);
  // The tmpfs root takes the image directory's mode, as runc does (its owner
  // stays the tmpfs's: root, or the uid=/gid= options).
  if (fchmod(dst, st.st_mode & 07777) < 0) die(errno, "tmpcopyup %s: chmod", m->target);
  close(dst);
  close(src);

  if (m->flags & MS_RDONLY) {
    struct mount_attr a;
    memset(&a, 0, sizeof a);
    a.attr_set = MOUNT_ATTR_RDONLY;
    if (mount_setattr(mnt, "", AT_EMPTY_PATH, &a, sizeof a) < 0) die(errno, "tmpcopyup %s: read-only", m->target);
  }
  if (move_mount(mnt, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    die(errno, "mount tmpfs to %s", m->target);
  close(mnt);
}
