// --no-pivot (T_NO_PIVOT): MS_MOVE + chroot keeps every mount of the old root
// in the container's mount namespace, merely out of sight. The kernel lets
// a user namespace mount procfs or sysfs only if a fully visible one (the
// filesystem's root mounted, nothing locked over it) is already in the mount
// namespace; the host's /proc and /sys were such mounts, so a container
// process could `unshare -mrpf` and mount a bare, unmasked procfs. As runc's
// msMoveRoot does, they are unmounted (or, where a user namespace may not
// unmount them, covered with a tmpfs) before the move.
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "fs.h"
#include "util.h"

// mountinfo escapes space, tab, newline and backslash as \ooo.
static void unescape(char* s) {
  char* o = s;
  for (char* c = s; *c; c++) {
    if (c[0] == '\\' && c[1] >= '0' && c[1] <= '3' && c[2] >= '0' && c[2] <= '7' && c[3] >= '0' && c[3] <= '7') {
      *o++ = (char)((c[1] - '0') * 64 + (c[2] - '0') * 8 + (c[3] - '0'));
      c += 3;
    } else {
      *o++ = *c;
    }
  }
  *o = 0;
}

static char* read_mountinfo() {
  size_t cap = 1 << 16, len = 0;
  char* buf = (char*)malloc(cap);
  int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(errno, "open /proc/self/mountinfo");
  for (;;) {
    if (len + 1 >= cap) buf = (char*)realloc(buf, cap *= 2);
    if (!buf) die(0, "out of memory");
    ssize_t n = read(fd, buf + len, cap - len - 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die(errno, "read /proc/self/mountinfo");
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  buf[len] = 0;
  return buf;
}

static bool under(const char* path, const char* dir) {
  size_t n = strlen(dir);
  return !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}

void hide_host_pseudofs(const char* rootfs_path) {
  char* rootfs = realpath(rootfs_path, nullptr);
  if (!rootfs) die(errno, "rootfs %s", rootfs_path);
  char* buf = read_mountinfo();
  for (char* line = buf; *line;) {
    char* end = strchr(line, '\n');
    if (end) *end = 0;
    // id parent maj:min root mountpoint options [optional...] - fstype source super
    char* f[5] = {};
    char* s = line;
    for (int k = 0; k < 5 && s; k++) {
      f[k] = s;
      s = strchr(s, ' ');
      if (s) *s++ = 0;
    }
    char* dash = s ? strstr(s, " - ") : nullptr;
    char* fstype = dash ? dash + 3 : nullptr;
    if (fstype) {
      char* sp = strchr(fstype, ' ');
      if (sp) *sp = 0;
    }
    if (f[4] && fstype && !strcmp(f[3], "/") && (!strcmp(fstype, "proc") || !strcmp(fstype, "sysfs"))) {
      char* mp = f[4];
      unescape(mp);
      // The container's own mounts (its /proc, maybe /sys) are in the rootfs.
      if (!under(mp, rootfs)) {
        // Slave first, so the unmount cannot propagate to the host. A mount
        // point that is gone went with an ancestor unmounted before it.
        if (mount(nullptr, mp, nullptr, MS_SLAVE | MS_REC, nullptr) < 0) {
          if (errno != ENOENT && errno != EINVAL) die(errno, "make %s rslave before hiding it", mp);
        } else if (umount2(mp, MNT_DETACH) < 0) {
          // EINVAL/EPERM: a mount locked by a user namespace; cover it.
          if (errno != EINVAL && errno != EPERM) die(errno, "unmount %s", mp);
          if (mount("tmpfs", mp, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0)
            die(errno, "cover %s with a tmpfs", mp);
        }
      }
    }
    line = end ? end + 1 : line + strlen(line);
  }
  free(buf);
  free(rootfs);
}
