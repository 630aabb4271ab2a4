// Stage B: born from stage A's clone() inside the new namespaces, a direct
// child of the carton CLI (CLONE_PARENT). It builds the container around
// itself, tells the parent 'R', and waits for `carton start`.
//
// The order matters and differs from a naive reading of the plan:
//  - sysctls are written before the read-only paths, since /proc/sys is
//    normally one of them;
//  - the cwd is created before pivot_root (and before "/" may become
//    read-only) but entered only afterwards;
//  - the executable is looked up while still root, before the user switch.
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"
#include "console.h"
#include "ext.h"
#include "fs.h"
#include "home.h"
#include "hooks.h"
#include "protocol.h"
#include "security.h"
#include "util.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

static bool joins_user_ns(const plan* p) {
  for (size_t i = 0; i < p->n_joins; i++)
    if (p->joins[i].flag == CLONE_NEWUSER) return true;
  return false;
}

static void set_names(const plan* p) {
  if (p->hostname && sethostname(p->hostname, strlen(p->hostname)) < 0) die(errno, "sethostname %s", p->hostname);
  if (p->domainname && setdomainname(p->domainname, strlen(p->domainname)) < 0)
    die(errno, "setdomainname %s", p->domainname);
}

// The container's /proc may carry mounts over its files (an rbind of a
// procfs with submounts, a shared mount ns): a write by path could land in
// whatever was mounted there (CVE-2025-52881). A non-recursive clone of the
// /proc mount has none of them, and openat2 below it may not cross into
// another mount or follow any link.
static int private_proc() {
  int fd = (int)syscall(SYS_open_tree, AT_FDCWD, "/proc", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (fd < 0) die(errno, "open_tree /proc");
  struct statfs sf;
  if (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC) die(0, "sysctl: /proc is not procfs");
  return fd;
}

// Keys are dotted, so after '.' -> '/' there can be no ".." component; the
// fstatfs check makes sure the write really lands in procfs.
static void write_sysctls(const plan* p) {
  int procfd = p->n_sysctls ? private_proc() : -1;
  for (size_t i = 0; i < p->n_sysctls; i++) {
    const plan_sysctl* s = &p->sysctls[i];
    char path[512];
    fmt(path, sizeof path, "/proc/sys/%s", s->key);
    for (char* c = path + 10; *c; c++)
      if (*c == '.') *c = '/';
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    int fd = (int)syscall(SYS_openat2, procfd, path + 6, &how, sizeof how);
    if (fd < 0) die(errno, "open sysctl %s", path);
    struct statfs sf;
    if (fstatfs(fd, &sf) < 0) die(errno, "fstatfs %s", path);
    if (sf.f_type != PROC_SUPER_MAGIC) die(0, "sysctl %s: not on procfs", path);
    size_t len = strlen(s->value);
    ssize_t n = write(fd, s->value, len);
    if (n < 0) die(errno, "write sysctl %s", path);
    if ((size_t)n != len) die(0, "write sysctl %s: short write", path);
    close(fd);
  }
  if (procfd >= 0) close(procfd);
}

void stage_b(plan* p) {
  // CLONE_PARENT made the CLI our parent, and main() armed PR_SET_PDEATHSIG:
  // if the CLI dies mid-setup we go too.
  if (p->ns_new & CLONE_NEWUSER) {
    sync_expect(MSG_MAPPED);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); // born dumpable only for the parent's map writes (main.cc)
  }
  if ((p->ns_new & CLONE_NEWUSER) || joins_user_ns(p)) {
    // Become the namespace's root so that files we create are owned by the
    // container's root, and so the later setresuid is a change of mapped ids.
    if (setresgid(0, 0, 0) < 0) die(errno, "setresgid 0 in user namespace");
    if (setresuid(0, 0, 0) < 0) die(errno, "setresuid 0 in user namespace");
    prctl(PR_SET_PDEATHSIG, SIGKILL); // a credential change clears it
    // ...and sets dumpable to fs.suid_dumpable, which may be 1 on a host.
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  }
  net_devices_configure(p);

  // Devices, mount points and the console get exactly the plan's modes.
  umask(0);
  int rootfd = -1;
  if (p->rootfs) {
    rootfd = rootfs_prepare(p);
    apply_mounts(p, rootfd);
    create_devices(p, rootfd);
    create_symlinks(p, rootfd);
    if (p->trace) sync_send(MSG_TRACE, "mounts", 6);
    if (p->hooks_pause) {
      hooks_pause(p);
      // Still before pivot_root: the host's paths resolve, as the spec says.
      if (const char* e = run_hooks(p, HOOK_CREATE_CONTAINER, p->state_create)) die(0, "%s", e);
    }
    // Created now: after pivot "/" may be read-only. Errors surface at chdir.
    int cfd = mkdir_all_in_root(rootfd, p->cwd, CREATE_DIR, 0);
    if (cfd >= 0) close(cfd);
    if (p->no_pivot) hide_host_pseudofs(p->rootfs);
    rootfd = rootfs_enter(p, rootfd);
    if (p->trace) sync_send(MSG_TRACE, "pivot", 5);
  } else if (plan_has_mount_ns(p)) {
    rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) die(errno, "open /");
  }

  int tty = p->terminal ? console_setup(p, rootfd) : -1;
  set_names(p);
  write_sysctls(p);
  if (rootfd >= 0) {
    // As runc's finalizeRootfs: /dev (nodes, links, console) and tmpfs
    // mounts were filled while writable; read-only now, before the masks.
    mounts_readonly_late(p, rootfd);
    mask_paths(p, rootfd);
    readonly_paths(p, rootfd);
    if (p->root_readonly) root_readonly();
    if (p->rootfs) root_propagation(p);
    close(rootfd);
  }
  umask(022);

  bool in_cwd = enter_cwd(p, false);
  join_session_keyring(p);
  apply_rlimits(p);
  char* exe = find_executable(p);
  set_home(p);
  apply_process_attrs(p);
  install_seccomp(p, SECCOMP_STAGE_BEFORE_USER);
  apply_user(p);
  if (!in_cwd) enter_cwd(p, true);
  install_seccomp(p, SECCOMP_STAGE_BEFORE_READY);

  // From here on the parent is expected to exit; B must outlive it.
  prctl(PR_SET_PDEATHSIG, 0);
  sync_send(MSG_READY, nullptr, 0);
  int sync = get_sync_fd();
  set_sync_fd(-1);
  close(sync);
  if (p->console_fd >= 0) close(p->console_fd);
  // As runc: the terminal becomes stdio now, not at start. An engine's
  // create (containerd's shim) reads our stdout/stderr pipe to EOF, so
  // holding it until start would deadlock create against start.
  // Without a terminal we become a session leader now too (runc's init is
  // one from the start): setsid must not come after the seccomp filter.
  if (tty >= 0)
    console_attach(tty);
  else if (getsid(0) != getpid() && setsid() < 0)
    die(errno, "setsid");
  wait_and_exec(p, exe);
}
