// /proc/self/mountinfo, read whole and split line by line: the rootfs
// set-up looks for the parent mount of the rootfs (rootfs.cc) and --no-pivot
// for the host's procfs and sysfs mounts (nopivot.cc).
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
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

char* read_mountinfo() {
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

bool mountinfo_next(char** cur, mountinfo_entry* e) {
  while (**cur) {
    char* line = *cur;
    char* end = strchr(line, '\n');
    if (end) *end = 0;
    *cur = end ? end + 1 : line + strlen(line);
    // id parent maj:min root mountpoint options [optional...] - fstype source super
    char* f[6] = {};
    char* s = line;
    for (int k = 0; k < 6 && s; k++) {
      f[k] = s;
      s = strchr(s, ' ');
      if (s) *s++ = 0;
    }
    if (!s) continue;
    // the optional fields ("shared:N master:M", maybe none) end at "-"
    char* dash = !strncmp(s, "- ", 2) ? s : strstr(s, " - ");
    if (!dash) continue;
    e->fstype = dash + (dash == s ? 2 : 3);
    *dash = 0;
    char* sp = strchr(e->fstype, ' ');
    if (sp) *sp = 0;
    e->optional = s;
    e->root = f[3];
    e->mountpoint = f[4];
    unescape(e->mountpoint);
    return true;
  }
  return false;
}

bool path_under(const char* path, const char* dir) {
  size_t n = strlen(dir);
  return !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}
