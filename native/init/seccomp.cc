// Installs the plan's seccomp filter: BPF compiled by libseccomp in the
// parent (carton-init stays static and knows no syscall tables). With a
// NOTIFY action the kernel hands back a listener fd, which goes to the
// parent as 'S' so it can pass it on to the seccomp agent.
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "protocol.h"
#include "security.h"
#include "util.h"

void install_seccomp(const plan* p, uint32_t stage) {
  if (!p->seccomp_prog || p->seccomp_stage != stage) return;
  struct sock_fprog prog;
  prog.len = (unsigned short)(p->seccomp_len / 8);
  prog.filter = (struct sock_filter*)p->seccomp_prog;
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->seccomp_flags, &prog);
  if (fd < 0) die(errno, "seccomp: install filter (flags 0x%x)", p->seccomp_flags);
  if (!(p->seccomp_flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)) return;
  int sync = get_sync_fd();
  if (sync < 0) die(0, "seccomp: no parent to send the listener fd to");
  char name[2] = {MSG_SECCOMP, 0};
  if (int e = -send_fd(sync, (int)fd, name)) die(e, "seccomp: send listener fd");
  close((int)fd);
}
