// carton-keeper: the process that makes a crash of the serving shim (Node)
// lose nothing. `start` (src/shim/start.ts) spawns it with the shim's
// listening socket as fd 3; it spawns the Node serving shim as its child and
//  - holds a dup of every fd whose closing containerd or a container would
//    notice (ttrpc connections, stdin fifos and socketpairs, pty masters,
//    a terminal's output fifo): Node sends each over the control socket with
//    a label and says when it drops one. Node dying closes none of them.
//  - is PR_SET_CHILD_SUBREAPER: when Node dies, container processes (Node's
//    children) re-parent here; each one reaped gets its exit status written
//    to <state>/exits/<pid> (atomically) and announced to Node.
//  - respawns Node when it dies abnormally (bounded backoff and retries),
//    handing it every held fd by inheritance, listed in CARTON_KEEPER_FDS.
//    Node exiting 0 (Shutdown, idle) ends the keeper too.
// The protocol and what Node does with it are in src/shim/keeper.ts.
//
// Single-threaded, libc only, static: a few hundred KiB resident per shim.
// Every fd it opens is close-on-exec; held fds sit at 10 and above so the
// child's fixed fds (3 listen, 4 control, 5 events) never collide.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/scm.h"

#define NAME "carton-keeper"
#define LISTEN_FD 3
#define CTL_FD 4
#define EVENTS_FD 5
#define LOW_FD 10
#define MAX_HELD 4096
#define MAX_LABEL 200
// Node dying more than MAX_RESPAWNS times within WINDOW_MS: give up.
#define MAX_RESPAWNS 5
#define WINDOW_MS 60000
#define FIRST_BACKOFF_MS 100
#define MAX_BACKOFF_MS 3200

struct held {
  int fd;
  char label[MAX_LABEL + 1];
};

static struct held* held;
static int nheld, capheld;
static const char* state_dir;
static char** node_argv;
static pid_t node = 0;
static int ctl = -1, events = -1;
static long long respawns[MAX_RESPAWNS];
static int nrespawns;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// One logrus-style line on stderr (the bundle's log fifo containerd reads).
static void logf_(const char* level, const char* fmt, ...) {
  char msg[512], line[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  int n = snprintf(line, sizeof line, "level=%s msg=\"%s\" runtime=io.containerd.carton.v2 pid=%d\n", level, msg,
                   (int)getpid());
  if (n > 0 && write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0) {
    // a log reader that went away must not stop the keeper
  }
}

static int find(const char* label) {
  for (int i = 0; i < nheld; i++)
    if (!strcmp(held[i].label, label)) return i;
  return -1;
}

static void drop_at(int i) {
  close(held[i].fd);
  held[i] = held[--nheld];
}

static void hold(const char* label, int fd) {
  int hi = fcntl(fd, F_DUPFD_CLOEXEC, LOW_FD);
  close(fd);
  if (hi < 0) return logf_("warning", "hold %s: %s", label, strerror(errno));
  int i = find(label);
  if (i >= 0) {
    close(held[i].fd);
    held[i].fd = hi;
    return;
  }
  if (nheld == MAX_HELD) {
    close(hi);
    return logf_("warning", "hold %s: more than %d fds held", label, MAX_HELD);
  }
  if (nheld == capheld) {
    int cap = capheld ? capheld * 2 : 64;
    struct held* h = realloc(held, (size_t)cap * sizeof *h);
    if (!h) {
      close(hi);
      return logf_("warning", "hold %s: out of memory", label);
    }
    held = h;
    capheld = cap;
  }
  held[nheld].fd = hi;
  snprintf(held[nheld].label, sizeof held[nheld].label, "%s", label);
  nheld++;
}

// One control message from Node: "H<label>" with an fd, "D<label>", "P<prefix>".
static void on_control(void) {
  char buf[MAX_LABEL + 2];
  int fd;
  ssize_t n = scm_recv_fd(ctl, buf, sizeof buf - 1, &fd);
  if (n == -EAGAIN) return;
  if (n <= 0) {
    // Node closed it (exiting or dead): its exit comes as SIGCHLD.
    close(ctl);
    ctl = -1;
    if (fd >= 0) close(fd);
    return;
  }
  buf[n] = '\0';
  const char* label = buf + 1;
  if (buf[0] == 'H' && fd >= 0 && *label) return hold(label, fd);
  if (fd >= 0) close(fd);
  if (buf[0] == 'D') {
    int i = find(label);
    if (i >= 0) drop_at(i);
  } else if (buf[0] == 'P') {
    size_t len = strlen(label);
    for (int i = nheld - 1; i >= 0; i--)
      if (!strncmp(held[i].label, label, len)) drop_at(i);
  }
}

static void write_all(int fd, const char* s, size_t len) {
  while (len) {
    ssize_t n = write(fd, s, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    s += n;
    len -= (size_t)n;
  }
}

// <state>/exits/<pid>: "<status>\n", 128+N for a signal (runc's convention), renamed into place.
static void record_exit(pid_t pid, int status) {
  int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  char tmp[PATH_MAX + 8], path[PATH_MAX], line[32];
  snprintf(path, sizeof path, "%s/exits/%d", state_dir, (int)pid);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int n = snprintf(line, sizeof line, "%d\n", code);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write(fd, line, (size_t)n) != n || fsync(fd) < 0 || rename(tmp, path) < 0)
    logf_("warning", "record exit of %d: %s", (int)pid, strerror(errno));
  if (fd >= 0) close(fd);
  if (events >= 0) {
    n = snprintf(line, sizeof line, "E %d %d\n", (int)pid, code);
    write_all(events, line, (size_t)n);
  }
}

// Node gets fd 3 (listen), 4 (control), 5 (events) and every held fd at its
// own number, named in CARTON_KEEPER_FDS ("<fd> <label>\n"...).
static void spawn_node(void) {
  int sp[2], ev[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0 || pipe2(ev, O_CLOEXEC) < 0) {
    logf_("error", "socketpair/pipe: %s", strerror(errno));
    exit(1);
  }
  size_t cap = 64 + (size_t)nheld * (MAX_LABEL + 16);
  char* list = malloc(cap);
  if (!list) exit(1);
  // "respawn" first when this Node replaces one that died (src/shim/keeper.ts).
  size_t off = (size_t)snprintf(list, cap, "CARTON_KEEPER_FDS=%s", nrespawns ? "respawn\n" : "");
  for (int i = 0; i < nheld; i++) off += (size_t)snprintf(list + off, cap - off, "%d %s\n", held[i].fd, held[i].label);
  extern char** environ;
  size_t nenv = 0;
  while (environ[nenv]) nenv++;
  char** envp = calloc(nenv + 2, sizeof *envp);
  if (!envp) exit(1);
  size_t k = 0;
  for (size_t i = 0; i < nenv; i++)
    if (strncmp(environ[i], "CARTON_KEEPER_FDS=", 18)) envp[k++] = environ[i];
  envp[k++] = list;
  pid_t pid = fork();
  if (pid < 0) {
    logf_("error", "fork: %s", strerror(errno));
    exit(1);
  }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    if (dup2(sp[1], CTL_FD) < 0 || dup2(ev[0], EVENTS_FD) < 0) _exit(127);
    fcntl(LISTEN_FD, F_SETFD, 0);
    for (int i = 0; i < nheld; i++) fcntl(held[i].fd, F_SETFD, 0);
    execve(node_argv[0], node_argv, envp);
    _exit(127);
  }
  free(list);
  free(envp);
  close(sp[1]);
  close(ev[0]);
  ctl = sp[0];
  events = ev[1];
  fcntl(ctl, F_SETFL, O_NONBLOCK);
  fcntl(events, F_SETFL, O_NONBLOCK);
  node = pid;
}

static void rm_dir(const char* dir) {
  char sub[PATH_MAX];
  snprintf(sub, sizeof sub, "%s/exits", dir);
  int fd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    DIR* d = fdopendir(fd);
    struct dirent* e;
    while (d && (e = readdir(d)))
      if (e->d_name[0] != '.') unlinkat(fd, e->d_name, 0);
    if (d)
      closedir(d);
    else
      close(fd);
  }
  rmdir(sub);
  rmdir(dir);
}

// Node exited: 0 means it is done; anything else is a crash to recover from.
// Returns the time to respawn at, or exits.
static long long node_exited(int status) {
  node = 0;
  if (ctl >= 0) close(ctl);
  if (events >= 0) close(events);
  ctl = events = -1;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    // Node removed its own records (tasks/, waits/); the exits are ours.
    rm_dir(state_dir);
    exit(0);
  }
  long long now = now_ms();
  int recent = 0;
  for (int i = 0; i < nrespawns; i++)
    if (now - respawns[i] < WINDOW_MS) recent++;
  char why[64];
  if (WIFSIGNALED(status))
    snprintf(why, sizeof why, "killed by signal %d", WTERMSIG(status));
  else
    snprintf(why, sizeof why, "exit status %d", WEXITSTATUS(status));
  if (recent >= MAX_RESPAWNS) {
    logf_("error",
          "serving shim died (%s) %d times in %d s: giving up; its containers are left to containerd's cleanup", why,
          recent + 1, WINDOW_MS / 1000);
    // Closing every held fd tells containerd the shim is gone: it runs `delete` for each task.
    for (int i = nheld - 1; i >= 0; i--) drop_at(i);
    close(LISTEN_FD);
    exit(1);
  }
  long long backoff = FIRST_BACKOFF_MS << (recent < 6 ? recent : 6);
  if (backoff > MAX_BACKOFF_MS) backoff = MAX_BACKOFF_MS;
  logf_("warning", "serving shim died (%s); respawning it in %lld ms (%d of %d)", why, backoff, recent + 1,
        MAX_RESPAWNS);
  memmove(respawns + 1, respawns, sizeof respawns - sizeof *respawns);
  respawns[0] = now;
  if (nrespawns < MAX_RESPAWNS) nrespawns++;
  return now + backoff;
}

int main(int argc, char** argv) {
  // carton-keeper <state-dir> <node> <args...>
  if (argc < 3) {
    fprintf(stderr, NAME ": usage: " NAME " STATE-DIR NODE [ARG...]\n");
    return 2;
  }
  state_dir = argv[1];
  node_argv = argv + 2;
  int type;
  socklen_t len = sizeof type;
  if (getsockopt(LISTEN_FD, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
    fprintf(stderr, NAME ": fd 3: not the shim's listening socket: %s\n", strerror(errno));
    return 2;
  }
  fcntl(LISTEN_FD, F_SETFD, FD_CLOEXEC);
  char exits[PATH_MAX];
  snprintf(exits, sizeof exits, "%s/exits", state_dir);
  if ((mkdir(state_dir, 0700) < 0 && errno != EEXIST) || (mkdir(exits, 0700) < 0 && errno != EEXIST)) {
    fprintf(stderr, NAME ": mkdir %s: %s\n", exits, strerror(errno));
    return 1;
  }
  // Container processes re-parent here when Node dies.
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
    fprintf(stderr, NAME ": PR_SET_CHILD_SUBREAPER: %s\n", strerror(errno));
    return 1;
  }
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    fprintf(stderr, NAME ": signalfd: %s\n", strerror(errno));
    return 1;
  }
  spawn_node();
  long long respawn_at = 0;
  for (;;) {
    struct pollfd p[2] = {{sfd, POLLIN, 0}, {ctl, POLLIN, 0}};
    int timeout = -1;
    if (!node && respawn_at) {
      long long left = respawn_at - now_ms();
      timeout = left > 0 ? (int)left : 0;
    }
    int r = poll(p, ctl >= 0 ? 2 : 1, timeout);
    if (r < 0 && errno != EINTR) {
      logf_("error", "poll: %s", strerror(errno));
      return 1;
    }
    if (ctl >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) on_control();
    if (p[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGCHLD) continue;
        // SIGTERM/SIGINT: Node decides (it exits 0 and so do we); without a Node, stop.
        if (node)
          kill(node, (int)si.ssi_signo);
        else
          exit(1);
      }
      int status;
      pid_t pid;
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == node)
          respawn_at = node_exited(status);
        else
          record_exit(pid, status);
      }
    }
    if (!node && respawn_at && now_ms() >= respawn_at) {
      respawn_at = 0;
      spawn_node();
    }
  }
}
