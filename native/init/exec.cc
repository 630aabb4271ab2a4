// The last steps: the cwd, finding the executable (with the exact wording
// of runc's Go exec.LookPath errors, which users and tests match on), and
// the wait on the exec fifo that separates `carton create` from `start`.
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hooks.h"
#include "security.h"
#include "util.h"

static const char DEFAULT_PATH[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

bool enter_cwd(const plan* p, bool last_try) {
  if (chdir(p->cwd) < 0) {
    int e = errno;
    // The cwd may be reachable only by the container user (e.g. a 0700 home
    // on a root-squashed mount): retry after the user switch.
    if (e == EACCES && !last_try) return false;
    // An exec'd process must find its cwd in the container as it is.
    if (e == ENOENT && !last_try && !p->exec_now) {
      // Without a rootfs of ours nothing created it yet (mkdir -p).
      char* buf = strdup(p->cwd);
      for (char* s = buf + 1; buf && *s; s++)
        if (*s == '/') *s = 0, mkdir(buf, 0755), *s = '/';
      if (buf) mkdir(buf, 0755), free(buf);
      if (chdir(p->cwd) == 0) goto check;
      e = errno;
    }
    die(e, "chdir to cwd (\"%s\") set in config.json failed", p->cwd);
  }
check:
  // A cwd that resolved through a leaked host fd (CVE-2024-21626) is outside
  // our root: the kernel then reports it as "(unreachable)/...". The raw
  // syscall shows that prefix; glibc's getcwd would hide it behind ENOENT.
  char buf[4096];
  long n = syscall(SYS_getcwd, buf, sizeof buf);
  if (n < 0) die(errno, "getcwd");
  if (buf[0] != '/')
    die(0,
        "current working directory is outside of container mount namespace root -- possible container breakout "
        "detected");
  return true;
}

// Go's findExecutable: stat, reject directories, require an x bit.
static int check_executable(const char* path) {
  struct stat st;
  if (stat(path, &st) < 0) return errno;
  if (S_ISDIR(st.st_mode)) return EISDIR;
  if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)) return EACCES;
  return 0;
}

char* find_executable(const plan* p) {
  const char* name = p->args[0];
  char e[128];
  if (strchr(name, '/')) {
    int err = check_executable(name);
    if (err == EISDIR || err == EACCES) die(0, "exec: \"%s\": %s", name, errno_text(err, e, sizeof e));
    if (err) die(0, "exec: \"%s\": stat %s: %s", name, name, errno_text(err, e, sizeof e));
    return strdup(name);
  }
  const char* path = DEFAULT_PATH;
  for (size_t i = 0; i < p->n_env; i++) // the last PATH= wins, as with setenv
    if (!strncmp(p->env[i], "PATH=", 5)) path = p->env[i] + 5;
  size_t nlen = strlen(name);
  for (const char* dir = path;;) {
    const char* end = strchrnul(dir, ':');
    size_t dlen = (size_t)(end - dir);
    char* cand = (char*)malloc(dlen + nlen + 3);
    if (!cand) die(0, "out of memory");
    if (dlen)
      memcpy(cand, dir, dlen);
    else
      cand[0] = '.', dlen = 1; // an empty PATH element means "."
    cand[dlen] = '/';
    memcpy(cand + dlen + 1, name, nlen + 1);
    if (check_executable(cand) == 0) {
      if (cand[0] != '/') die(0, "exec: \"%s\": cannot run executable found relative to current directory", name);
      return cand;
    }
    free(cand);
    if (!*end) break;
    dir = end + 1;
  }
  die(0, "exec: \"%s\": executable file not found in $PATH", name);
}

void wait_and_exec(const plan* p, const char* path) {
  // With no_new_privs the filter goes in here, before the wait and not
  // after it (runc's order): the startContainer hooks and everything this
  // process does once `start` lets it go run under the container's filter.
  // Without no_new_privs it went in before the user switch (child.cc).
  install_seccomp(p, SECCOMP_STAGE_BEFORE_EXEC);
  if (!p->exec_now) {
    char b;
    ssize_t n;
    do n = read(p->fifo_fd, &b, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) die(n < 0 ? errno : 0, "read exec fifo%s", n == 0 ? ": unexpected end of file" : "");
    if (const char* e = run_hooks(p, HOOK_START_CONTAINER, p->state_start)) {
      // `carton start` waits for the fifo to lose its last reader and then
      // reads why from it; the container's stderr gets it too.
      size_t len = strlen(e);
      ssize_t w = write(p->fifo_fd, e, len);
      w = write(2, "carton: ", 8);
      w = write(2, e, len);
      w = write(2, "\n", 1);
      (void)w;
      _exit(1);
    }
  }
  // Every fd >= first_own, the fifo included, is close-on-exec.
  execve(path, p->args, p->env);
  char e[128];
  const char* msg = errno_text(errno, e, sizeof e);
  char line[4200];
  size_t len = fmt(line, sizeof line, "carton: exec %s: %s\n", path, msg);
  ssize_t w = write(2, line, len);
  (void)w;
  _exit(127);
}
