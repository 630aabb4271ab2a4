// Sending one fd with SCM_RIGHTS: the one implementation shared by the Node
// addon (sendFd, the console socket and seccomp agent hand-offs) and
// carton-init (the pty master, the seccomp listener). Plain C style on
// purpose: carton-init is static, without libstdc++ or exceptions, so this
// header allocates nothing and needs only libc.
#pragma once
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

// One sendmsg carrying len bytes of data and fd, retried on EINTR.
// MSG_NOSIGNAL: a peer that went away is an EPIPE to report, not a SIGPIPE
// that kills the sender. Returns the bytes of data sent (the caller decides
// what a short send means), or -errno.
static inline ssize_t scm_send_fd(int sock, int fd, const void* data, size_t len) {
  struct iovec iov = {(void*)data, len};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof u.buf;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t n;
  do n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : n;
}
