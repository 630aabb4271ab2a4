#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../common/scm.h"
#include "protocol.h"

static int g_sync_fd = -1;

void set_sync_fd(int fd) { g_sync_fd = fd; }
int get_sync_fd() { return g_sync_fd; }

namespace {

struct out {
  char* buf;
  size_t cap, len;
  void put(char c) {
    if (len + 1 < cap) buf[len] = c;
    len++;
  }
  void puts(const char* s) {
    while (*s) put(*s++);
  }
  void num(unsigned long long v, unsigned base, bool neg) {
    char tmp[24];
    int n = 0;
    do {
      tmp[n++] = "0123456789abcdef"[v % base];
      v /= base;
    } while (v);
    if (neg) put('-');
    while (n) put(tmp[--n]);
  }
};

} // namespace

size_t vfmt(char* buf, size_t cap, const char* f, va_list ap) {
  out o{buf, cap, 0};
  for (; *f; f++) {
    if (*f != '%') {
      o.put(*f);
      continue;
    }
    f++;
    int longs = 0;
    while (*f == 'l') longs++, f++;
    switch (*f) {
      case 's': {
        const char* s = va_arg(ap, const char*);
        o.puts(s ? s : "(null)");
        break;
      }
      case 'c': o.put((char)va_arg(ap, int)); break;
      case 'd': {
        long long v = longs >= 2 ? va_arg(ap, long long) : longs ? va_arg(ap, long) : va_arg(ap, int);
        o.num(v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, 10, v < 0);
        break;
      }
      case 'u':
      case 'x':
      case 'o': {
        unsigned long long v = longs >= 2 ? va_arg(ap, unsigned long long)
                               : longs    ? va_arg(ap, unsigned long)
                                          : va_arg(ap, unsigned);
        o.num(v, *f == 'u' ? 10 : *f == 'x' ? 16 : 8, false);
        break;
      }
      case '%': o.put('%'); break;
      case 0: f--; break;
      default:
        o.put('%');
        o.put(*f);
        break;
    }
  }
  if (cap) buf[o.len < cap ? o.len : cap - 1] = 0;
  return o.len < cap ? o.len : (cap ? cap - 1 : 0);
}

size_t fmt(char* buf, size_t cap, const char* f, ...) {
  va_list ap;
  va_start(ap, f);
  size_t n = vfmt(buf, cap, f, ap);
  va_end(ap);
  return n;
}

const char* errno_text(int err, char* buf, size_t cap) {
  // strerrordesc_np is the untranslated table: no locale code gets linked in,
  // and the empty environment would give English anyway.
  const char* d = strerrordesc_np(err);
  if (!d) {
    fmt(buf, cap, "errno %d", err);
    return buf;
  }
  fmt(buf, cap, "%s", d);
  // Go lowercases the leading capital ("No such file..." -> "no such file..."),
  // but keeps acronyms ("RFS specific error") as they are.
  if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z')) buf[0] += 'a' - 'A';
  return buf;
}

static void write_all(int fd, const char* p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

void die(int err, const char* f, ...) {
  char msg[4096];
  va_list ap;
  va_start(ap, f);
  size_t n = vfmt(msg + 1, sizeof msg - 2, f, ap);
  va_end(ap);
  if (err) {
    char e[128];
    n += fmt(msg + 1 + n, sizeof msg - 2 - n, ": %s", errno_text(err, e, sizeof e));
  }
  if (g_sync_fd >= 0) {
    msg[0] = MSG_ERROR;
    if (send(g_sync_fd, msg, n + 1, MSG_NOSIGNAL) == (ssize_t)(n + 1)) _exit(1);
  }
  // No parent to tell (or it is gone): the user still deserves the reason.
  write_all(2, "carton: ", 8);
  msg[1 + n] = '\n';
  write_all(2, msg + 1, n + 1);
  _exit(1);
}

void sync_send(char type, const void* payload, size_t len) {
  char buf[256];
  if (len + 1 > sizeof buf) die(0, "sync message too long");
  buf[0] = type;
  if (len) memcpy(buf + 1, payload, len);
  // MSG_NOSIGNAL: a vanished parent must surface as an error, not SIGPIPE.
  ssize_t n;
  do n = send(g_sync_fd, buf, len + 1, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n != (ssize_t)(len + 1)) {
    int e = n < 0 ? errno : EIO;
    g_sync_fd = -1; // the socket is what failed: report on stderr instead
    die(e, "send '%c' on sync socket", type);
  }
}

long sync_recv(char* type, void* payload, size_t cap) {
  char buf[256];
  ssize_t n;
  do n = recv(g_sync_fd, buf, sizeof buf, 0);
  while (n < 0 && errno == EINTR);
  if (n == 0) return -1;
  if (n < 0) {
    int e = errno;
    g_sync_fd = -1;
    die(e, "read sync socket");
  }
  *type = buf[0];
  size_t len = (size_t)n - 1;
  if (len > cap) len = cap;
  if (len) memcpy(payload, buf + 1, len);
  return (long)len;
}

void sync_expect(char type) {
  char t = 0;
  // EOF: the parent died or gave up; it already knows, so there is no one to
  // tell and nothing to clean up here.
  if (sync_recv(&t, nullptr, 0) < 0) _exit(1);
  if (t != type) die(0, "protocol: expected '%c' from parent, got '%c'", type, t);
}

int send_fd(int sock, int fd, const char* name) {
  ssize_t n = scm_send_fd(sock, fd, name, strlen(name));
  return n < 0 ? (int)n : 0;
}

const char* fd_path(int fd, char buf[32]) {
  fmt(buf, 32, "/proc/self/fd/%d", fd);
  return buf;
}

int write_file(const char* path, const char* buf, size_t len, int extra_flags) {
  int fd = open(path, O_WRONLY | O_CLOEXEC | extra_flags);
  if (fd < 0) return -errno;
  ssize_t n = write(fd, buf, len);
  int e = n < 0 ? errno : (size_t)n != len ? EIO : 0;
  close(fd);
  return -e;
}

long read_file(const char* path, char* buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  size_t len = 0;
  while (len + 1 < cap) {
    ssize_t n = read(fd, buf + len, cap - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      return -e;
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  buf[len] = 0;
  close(fd);
  return (long)len;
}

long parse_uint(const char* s) {
  if (!*s) return -1;
  long v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > 100000000) return -1;
    v = v * 10 + (*s - '0');
  }
  return v;
}
