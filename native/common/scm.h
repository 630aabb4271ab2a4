// Passing one fd with SCM_RIGHTS: the one implementation shared by the Node
// addon (sendFd, recvFd, recvMsg: the console socket, the pty master and the
// seccomp listener hand-offs) and carton-init (sends the pty master and the
// seccomp listener). Plain C style on purpose: carton-init is static, without
// libstdc++ or exceptions, so this header allocates nothing and needs only
// libc.
#pragma once
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

// Room for one fd's control message, aligned as a cmsghdr must be.
union scm_fd_buf {
  char buf[CMSG_SPACE(sizeof(int))];
  struct cmsghdr align;
};

// A msghdr over one iovec with ctl as its control buffer.
static inline void scm_msg(struct msghdr* msg, struct iovec* iov, union scm_fd_buf* ctl) {
  memset(msg, 0, sizeof *msg);
  msg->msg_iov = iov;
  msg->msg_iovlen = 1;
  msg->msg_control = ctl->buf;
  msg->msg_controllen = sizeof ctl->buf;
}

// One sendmsg carrying len bytes of data and fd, retried on EINTR.
// MSG_NOSIGNAL: a peer that went away is an EPIPE to report, not a SIGPIPE
// that kills the sender. Returns the bytes of data sent (the caller decides
// what a short send means), or -errno.
static inline ssize_t scm_send_fd(int sock, int fd, const void* data, size_t len) {
  struct iovec iov = {(void*)data, len};
  union scm_fd_buf u;
  memset(&u, 0, sizeof u);
  struct msghdr msg;
  scm_msg(&msg, &iov, &u);
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

// One recvmsg of up to len bytes with at most one SCM_RIGHTS fd, received
// CLOEXEC into *fd (-1 when the message carried none). Returns the byte
// count, or -errno.
static inline ssize_t scm_recv_fd(int sock, void* data, size_t len, int* fd) {
  struct iovec iov = {data, len};
  union scm_fd_buf u;
  struct msghdr msg;
  scm_msg(&msg, &iov, &u);
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  // A peer that exited with our message queued shows ECONNRESET once first.
  if (n < 0 && errno == ECONNRESET) {
    do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
  }
  *fd = -1;
  struct cmsghdr* c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(fd, CMSG_DATA(c), sizeof *fd);
  return n < 0 ? -errno : n;
}
