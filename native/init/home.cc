// runc's rule: when the process's environment has no HOME, or an empty one
// (the last HOME= wins, as with setenv), HOME is the home field of the
// user's entry in the container's /etc/passwd, "/" when there is none.
//
// Done here, after pivot_root (or, for exec, after joining the container's
// mount namespace), as runc does: the file is the one the container sees,
// volumes mounted over /etc included, and "/" is the container's root, so
// no path can lead out of it. The file is the container's and untrusted:
// it is opened with RESOLVE_IN_ROOT and without magic links (no
// /proc/self/fd/N onto one of our fds), O_NONBLOCK (a FIFO must not hang
// us), only a regular file is read, and at most PASSWD_MAX bytes of it.
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "home.h"
#include "util.h"

static const size_t PASSWD_MAX = 1 << 20;

// The whole file in a NUL-terminated buffer, or nullptr if it cannot be read
// (missing, not a regular file, too large: then runc's default applies).
static char* read_passwd() {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS; // IN_ROOT blocks magic links today; say it anyway
  int fd = (int)syscall(SYS_openat2, AT_FDCWD, "/etc/passwd", &how, sizeof how);
  if (fd < 0) return nullptr;
  struct stat st;
  char* buf = nullptr;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size <= PASSWD_MAX) {
    buf = (char*)malloc(PASSWD_MAX + 1);
    size_t len = 0;
    while (buf && len < PASSWD_MAX) {
      ssize_t n = read(fd, buf + len, PASSWD_MAX - len);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      len += (size_t)n;
    }
    if (buf) buf[len] = 0;
  }
  close(fd);
  return buf;
}

// name:password:uid:gid:gecos:home:shell; the first line with this uid wins
// (Go's user.ParsePasswdFilter as runc uses it). Returns a pointer into buf.
static const char* home_of(char* buf, uint32_t uid) {
  for (char* line = buf; line && *line;) {
    char* next = strchr(line, '\n');
    if (next) *next++ = 0;
    char* f[7] = {};
    int n = 0;
    for (char* s = line; n < 7; n++) {
      f[n] = s;
      char* c = strchr(s, ':');
      if (!c) {
        n++;
        break;
      }
      *c = 0;
      s = c + 1;
    }
    char* end;
    if (n >= 6 && f[2][0] >= '0' && f[2][0] <= '9') {
      errno = 0;
      unsigned long v = strtoul(f[2], &end, 10);
      if (!errno && !*end && v == uid) return f[5];
    }
    line = next;
  }
  return nullptr;
}

void set_home(plan* p) {
  const char* have = nullptr;
  for (size_t i = 0; i < p->n_env; i++)
    if (!strncmp(p->env[i], "HOME=", 5)) have = p->env[i] + 5;
  if (have && *have) return;
  char* buf = read_passwd();
  const char* home = buf ? home_of(buf, p->uid) : nullptr;
  if (!home) home = "/";
  size_t len = strnlen(home, 4096);
  char* entry = (char*)malloc(len + 6);
  if (!entry) die(0, "out of memory");
  memcpy(entry, "HOME=", 5);
  memcpy(entry + 5, home, len);
  entry[len + 5] = 0;
  free(buf);
  // Empty HOME= entries go: with duplicates, getenv takes the first and a
  // shell the last.
  char** env = (char**)malloc((p->n_env + 2) * sizeof *env);
  if (!env) die(0, "out of memory");
  size_t n = 0;
  for (size_t i = 0; i < p->n_env; i++)
    if (strncmp(p->env[i], "HOME=", 5)) env[n++] = p->env[i];
  env[n++] = entry;
  env[n] = nullptr;
  p->env = env;
  p->n_env = n;
}
