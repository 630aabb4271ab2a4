// The container's terminal: a pty from the container's own devpts instance,
// whose master goes to whoever listens on the console socket (runc's
// --console-socket protocol) and whose slave becomes /dev/console and the
// process's stdio.
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <termios.h>
#include <unistd.h>

#include "console.h"
#include "fs.h"
#include "util.h"

#ifndef DEVPTS_SUPER_MAGIC
#define DEVPTS_SUPER_MAGIC 0x1cd1
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int console_setup(const plan* p, int rootfd) {
  // Runs after pivot_root: "/dev/pts/ptmx" is the container's devpts.
  int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) die(errno, "open /dev/pts/ptmx");
  // The image controls /dev; make sure we got a devpts master, not some
  // file a symlink pointed us at.
  struct statfs sf;
  if (fstatfs(master, &sf) < 0 || sf.f_type != DEVPTS_SUPER_MAGIC)
    die(0, "open /dev/pts/ptmx: not on a devpts file system");
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) die(errno, "unlockpt /dev/pts/ptmx");
  unsigned ptn = 0;
  if (ioctl(master, TIOCGPTN, &ptn) < 0) die(errno, "ptsname /dev/pts/ptmx");
  char slave_path[32];
  fmt(slave_path, sizeof slave_path, "/dev/pts/%u", ptn);
  if (p->rows || p->cols) {
    struct winsize ws;
    memset(&ws, 0, sizeof ws);
    ws.ws_row = (unsigned short)p->rows;
    ws.ws_col = (unsigned short)p->cols;
    if (ioctl(master, TIOCSWINSZ, &ws) < 0) die(errno, "set window size of %s", slave_path);
  }
  // TIOCGPTPEER opens the peer of this very master, with no path lookup a
  // container-controlled /dev/pts could redirect.
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) slave = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) die(errno, "open %s", slave_path);

  // /dev/console itself is never followed: a symlink there (planted in a
  // shared /dev, CVE-2025-52565) would carry the pty bind onto, say, a
  // /proc file that masking then no longer covers. What we checked through
  // the O_NOFOLLOW fd is what we mount on. An exec'd process gets a
  // terminal of its own; /dev/console stays the container init's.
  if (!p->exec_now) {
    int devfd = mkdir_all_in_root(rootfd, "/dev", CREATE_DIR, 0);
    if (devfd < 0) die(errno, "open /dev");
    if (mknodat(devfd, "console", S_IFREG | 0666, 0) < 0 && errno != EEXIST) die(errno, "create /dev/console");
    int cfd = openat(devfd, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (cfd < 0) die(errno, "open /dev/console");
    close(devfd);
    struct stat cst;
    if (fstat(cfd, &cst) < 0) die(errno, "stat /dev/console");
    if (!S_ISREG(cst.st_mode) && !S_ISCHR(cst.st_mode))
      die(0, "/dev/console is not a regular file or a character device (a symlink?)");
    char b[32], sb[32];
    if (mount(fd_path(slave, sb), mount_point(cfd, "/dev/console", b), nullptr, MS_BIND, nullptr) < 0)
      die(errno, "mount %s to /dev/console", slave_path);
    close(cfd);
  }

  // As runc does for a console: the container user must be able to reopen
  // its terminal (/dev/tty, /proc/self/fd/0). Ids the namespace cannot map,
  // or a read-only /dev, are not worth failing for.
  if (fchown(slave, p->uid, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM && errno != EROFS)
    die(errno, "chown %s", slave_path);

  if (int e = -send_fd(p->console_fd, master, "/dev/ptmx")) die(e, "send pty master to console socket");
  close(master);
  return slave;
}

void console_attach(int slave) {
  if (setsid() < 0) die(errno, "setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0) die(errno, "set controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0) die(errno, "dup2 terminal onto fd %d", fd);
  if (slave > 2) close(slave);
}
