// Runs hooks from inside carton-init. Each hook is forked and exec'd with
// the state JSON on stdin and its stdout/stderr captured for the error
// text, which keeps runc's wording ("error running createContainer hook #0:
// error running hook: exit status 1, stdout: , stderr: ..."), since users
// grep for it. A timeout kills the hook with SIGKILL, as runc does, and
// its process group with it (runc kills the hook only).
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"
#include "util.h"

namespace {

char g_err[4096];

const char* kind_name(uint32_t kind) { return kind == HOOK_CREATE_CONTAINER ? "createContainer" : "startContainer"; }

long long now_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000LL;
}

struct capture {
  int fd;
  char buf[1024];
  size_t len;
  // Reads what is there: 1 if it read something, 0 at EOF, -1 if the pipe
  // is empty for now. Output beyond the buffer is read and dropped, so a
  // chatty hook cannot block on us.
  int pump() {
    char tmp[512];
    ssize_t n = read(fd, tmp, sizeof tmp);
    if (n < 0) return errno == EINTR ? 1 : -1;
    if (n == 0) return 0;
    size_t k = (size_t)n < sizeof buf - 1 - len ? (size_t)n : sizeof buf - 1 - len;
    memcpy(buf + len, tmp, k);
    len += k;
    buf[len] = 0;
    return 1;
  }
  // Once the hook is gone: what the pipe holds now, never waiting for EOF
  // (a child the hook left behind may keep it open for as long as it
  // lives), and bounded, in case that child keeps writing.
  void drain() {
    for (int i = 0; i < 256 && pump() == 1; i++) {}
  }
};

// Go's exec.ExitError text, as runc prints it: "exit status 3",
// "signal: killed", "signal: segmentation fault (core dumped)". The same
// table as signalText() in src/container/hooks.ts.
void wait_text(int status, char* out, size_t cap) {
  static const char* const names[] = {"",
                                      "hangup",
                                      "interrupt",
                                      "quit",
                                      "illegal instruction",
                                      "trace/breakpoint trap",
                                      "aborted",
                                      "bus error",
                                      "floating point exception",
                                      "killed",
                                      "user defined signal 1",
                                      "segmentation fault",
                                      "user defined signal 2",
                                      "broken pipe",
                                      "alarm clock",
                                      "terminated",
                                      "stack fault",
                                      "child exited",
                                      "continued",
                                      "stopped (signal)",
                                      "stopped",
                                      "stopped (tty input)",
                                      "stopped (tty output)",
                                      "urgent I/O condition",
                                      "CPU time limit exceeded",
                                      "file size limit exceeded",
                                      "virtual timer expired",
                                      "profiling timer expired",
                                      "window changed",
                                      "I/O possible",
                                      "power failure",
                                      "bad system call"};
  const char* core = WIFSIGNALED(status) && WCOREDUMP(status) ? " (core dumped)" : "";
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  if (WIFEXITED(status))
    fmt(out, cap, "exit status %d", WEXITSTATUS(status));
  else if (sig > 0 && sig < (int)(sizeof names / sizeof names[0]))
    fmt(out, cap, "signal: %s%s", names[sig], core);
  else
    fmt(out, cap, "signal: signal %d%s", sig, core);
}

const char* run_one(const plan_hook* h, size_t idx, const char* state) {
  const char* kind = kind_name(h->kind);
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2(err, O_CLOEXEC | O_NONBLOCK) < 0)
    die(errno, "%s hook #%u: pipe", kind, (unsigned)idx);
  // The whole state goes into the pipe before the hook starts, so a hook
  // that never reads stdin cannot block us.
  size_t len = strlen(state);
  if (len >= 65536) fcntl(in[1], F_SETPIPE_SZ, (int)len + 1);
  for (size_t off = 0; off < len;) {
    ssize_t w = write(in[1], state + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) die(errno, "%s hook #%u: write state", kind, (unsigned)idx);
    off += (size_t)w;
  }
  close(in[1]);
  pid_t pid = fork();
  if (pid < 0) die(errno, "%s hook #%u: fork", kind, (unsigned)idx);
  if (pid == 0) {
    // A process group of its own: on timeout, what the hook started dies with it.
    setpgid(0, 0);
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    // Preserved fds (3..first_own-1) belong to the container process only.
    syscall(SYS_close_range, 3U, ~0U, 0U);
    execve(h->path, h->args, h->env);
    char e[128], line[512];
    size_t n = fmt(line, sizeof line, "fork/exec %s: %s", h->path, errno_text(errno, e, sizeof e));
    ssize_t w = write(2, line, n);
    (void)w;
    _exit(127);
  }
  setpgid(pid, pid); // also here, so the group exists whoever runs first
  close(in[0]);
  close(out[1]);
  close(err[1]);
  capture co{out[0], {0}, 0}, ce{err[0], {0}, 0};
  // The plan's timeout is u32 seconds (TypeScript caps larger values at
  // 2^32-1 s, "a long time"); in ms it needs 64 bits.
  long long deadline = h->timeout ? now_ms() + (long long)h->timeout * 1000LL : -1;
  bool open_out = true, open_err = true, timed_out = false;
  int status = 0;
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  // Until the hook exits or its time is up; never on its pipes' EOF.
  for (;;) {
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    int wait = -1;
    if (deadline >= 0) {
      long long left = deadline - now_ms();
      if (left <= 0) {
        timed_out = true;
        // Unreaped, the hook's pid (its group's id) cannot be reused yet.
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        break;
      }
      wait = left > 60000 ? 60000 : (int)left; // poll() takes an int; the loop re-reads the clock
    }
    // Without a pidfd, fall back to polling the pipes every 50 ms.
    if (pidfd < 0 && (wait < 0 || wait > 50)) wait = 50;
    struct pollfd fds[3] = {{open_out ? co.fd : -1, POLLIN, 0}, {open_err ? ce.fd : -1, POLLIN, 0}, {pidfd, POLLIN, 0}};
    int r = poll(fds, 3, wait);
    if (r < 0 && errno != EINTR) die(errno, "%s hook #%u: poll", kind, (unsigned)idx);
    if (open_out && (fds[0].revents & (POLLIN | POLLHUP))) open_out = co.pump() != 0;
    if (open_err && (fds[1].revents & (POLLIN | POLLHUP))) open_err = ce.pump() != 0;
  }
  co.drain();
  ce.drain();
  if (pidfd >= 0) close(pidfd);
  close(co.fd);
  close(ce.fd);
  if (timed_out) {
    fmt(g_err, sizeof g_err, "error running %s hook #%u: hook ran past specified timeout of %u.0s", kind, (unsigned)idx,
        h->timeout);
    return g_err;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return nullptr;
  char why[64];
  wait_text(status, why, sizeof why);
  fmt(g_err, sizeof g_err, "error running %s hook #%u: error running hook: %s, stdout: %s, stderr: %s", kind,
      (unsigned)idx, why, co.buf, ce.buf);
  // One line: the parent prints it as the command's error.
  for (char* c = g_err; *c; c++)
    if (*c == '\n') *c = ' ';
  return g_err;
}

} // namespace

void hooks_pause(plan* p) {
  sync_send(MSG_HOOKS, nullptr, 0);
  // 'C' carries two state documents, larger than sync_recv's buffer.
  size_t cap = 1 << 20;
  char* buf = (char*)malloc(cap);
  if (!buf) die(0, "out of memory");
  ssize_t n;
  do n = recv(get_sync_fd(), buf, cap, 0);
  while (n < 0 && errno == EINTR);
  if (n == 0) _exit(1); // the parent gave up (a hook failed); it cleans up
  if (n < 0) die(errno, "read sync socket");
  if (buf[0] != MSG_CONTINUE) die(0, "protocol: expected '%c' from parent, got '%c'", MSG_CONTINUE, buf[0]);
  if (n < 5) die(0, "protocol: short '%c' message", MSG_CONTINUE);
  uint32_t l1;
  memcpy(&l1, buf + 1, 4);
  if (l1 > (size_t)n - 5) die(0, "protocol: bad '%c' message", MSG_CONTINUE);
  size_t l2 = (size_t)n - 5 - l1;
  p->state_create = (char*)malloc(l1 + 1);
  p->state_start = (char*)malloc(l2 + 1);
  if (!p->state_create || !p->state_start) die(0, "out of memory");
  memcpy(p->state_create, buf + 5, l1);
  p->state_create[l1] = 0;
  memcpy(p->state_start, buf + 5 + l1, l2);
  p->state_start[l2] = 0;
  free(buf);
}

const char* run_hooks(const plan* p, uint32_t kind, const char* state) {
  size_t idx = 0;
  for (size_t i = 0; i < p->n_hooks; i++) {
    if (p->hooks[i].kind != kind) continue;
    if (const char* e = run_one(&p->hooks[i], idx++, state ? state : "{}")) return e;
  }
  return nullptr;
}
