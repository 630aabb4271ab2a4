// containerd-shim-carton-v2 as containerd runs it: a relay that spares the
// per-container `start` (and `delete`) a Node start-up. It hands the
// invocation to the namespace's serving shim over its front door socket and
// prints the answer; with no front door, or any doubt, it execs the Node
// shim (bin/containerd-shim-carton-v2.js) with the same argv, which is also
// what every other invocation (the serving shim itself, -v, bad flags) gets.
// The protocol, and why, are in src/shim/frontdoor.ts.
//
// Single-threaded, no allocation beyond one growing reply buffer, every fd
// close-on-exec: the fall-back exec must leave containerd's fds as they were.
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define NAME "containerd-shim-carton-v2"
#define MAGIC "carton-relay/1"
#define SOCKET_DIR "/run/containerd/s"
#define MAX_REPLY (16u << 20)

static char** g_argv;

// Execs the Node shim that sits beside this checkout's build:
// <repo>/build/Release/containerd-shim-carton-v2 -> <repo>/bin/containerd-shim-carton-v2.js
static void fall_back(void) {
  char exe[PATH_MAX], js[PATH_MAX + 64];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) {
    fprintf(stderr, NAME ": readlink /proc/self/exe: %s\n", strerror(errno));
    exit(1);
  }
  exe[n] = '\0';
  for (int up = 0; up < 3; up++) {
    char* slash = strrchr(exe, '/');
    if (!slash) break;
    *slash = '\0';
  }
  snprintf(js, sizeof js, "%s/bin/" NAME ".js", exe);
  g_argv[0] = js;
  execv(js, g_argv);
  fprintf(stderr, NAME ": exec %s: %s\n", js, strerror(errno));
  exit(1);
}

// Go's flag syntax as src/shim/flags.ts parses it; anything it does not know
// falls back, so the Node shim words the error.
static int parse(int argc, char** argv, const char** ns, const char** addr, const char** action) {
  static const char* strings[] = {"namespace", "address", "publish-binary", "id", "bundle", "socket"};
  int i = 1;
  for (; i < argc; i++) {
    const char* a = argv[i];
    if (!strcmp(a, "--")) {
      i++;
      break;
    }
    if (a[0] != '-' || !a[1]) break;
    const char* body = a + (a[1] == '-' ? 2 : 1);
    const char* eq = strchr(body, '=');
    size_t len = eq ? (size_t)(eq - body) : strlen(body);
    if (len == 5 && !strncmp(body, "debug", 5)) continue;
    int known = -1;
    for (int k = 0; k < 6; k++)
      if (strlen(strings[k]) == len && !strncmp(body, strings[k], len)) known = k;
    if (known < 0) return -1; // -v and unknown flags: Node's answer
    const char* v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
    if (!v) return -1;
    if (known == 0) *ns = v;
    if (known == 1) *addr = v;
  }
  *action = i < argc ? argv[i] : "";
  return 0;
}

static int write_all(int fd, const char* p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char** argv) {
  g_argv = argv;
  const char *ns = "", *addr = "", *action = "", *off = getenv("CARTON_SHIM_RELAY");
  if ((off && !strcmp(off, "0")) || parse(argc, argv, &ns, &addr, &action) || !*ns ||
      (strcmp(action, "start") && strcmp(action, "delete")))
    fall_back();

  // FNV-1a 64 of "<address>\0<namespace>" (src/shim/frontdoor.ts)
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const char* p = addr;; p++) {
    h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
    if (!*p) break;
  }
  for (const char* p = ns; *p; p++) h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, SOCKET_DIR "/carton-%016llx", (unsigned long long)h);

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr*)&sa, sizeof sa) < 0) fall_back();
  // A wedged shim must not wedge containerd: give up and fall back.
  struct timeval tv = {.tv_sec = 10};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) fall_back();
  if (write_all(fd, MAGIC, sizeof MAGIC) || write_all(fd, cwd, strlen(cwd) + 1)) fall_back();
  for (int i = 1; i < argc; i++)
    if (write_all(fd, argv[i], strlen(argv[i]) + 1)) fall_back();
  if (shutdown(fd, SHUT_WR) < 0) fall_back();

  size_t cap = 4096, len = 0;
  char* buf = malloc(cap);
  for (;;) {
    if (!buf) fall_back();
    if (len == cap) {
      if (cap >= MAX_REPLY) fall_back();
      cap *= 2;
      buf = realloc(buf, cap);
      continue;
    }
    ssize_t r = read(fd, buf + len, cap - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fall_back();
    if (r == 0) break;
    len += (size_t)r;
  }
  close(fd);
  if (len < 6 || buf[0] != 'R') fall_back();
  uint32_t out = (uint32_t)(unsigned char)buf[2] << 24 | (uint32_t)(unsigned char)buf[3] << 16 |
                 (uint32_t)(unsigned char)buf[4] << 8 | (unsigned char)buf[5];
  if (out > len - 6) fall_back();
  if (write_all(1, buf + 6, out) || write_all(2, buf + 6 + out, len - 6 - out)) return 1;
  return (unsigned char)buf[1];
}
