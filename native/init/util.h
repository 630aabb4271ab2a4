// Small helpers shared by every stage of carton-init: error reporting, the
// sync-socket messages of protocol.h, fd passing and a tiny formatter.
//
// Everything here avoids stdio and locale machinery on purpose: carton-init
// is static, and each created container keeps one copy resident, so pulling
// in printf/gettext would cost every container memory for nothing.
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

// Where errors go. While the sync socket is set, a failure is reported to the
// parent as one 'E' packet (protocol.h); after 'R' has been sent the socket is
// gone and failures go to stderr, which by then is the container's.
void set_sync_fd(int fd);
int get_sync_fd();

// Formats into buf (always NUL-terminated, truncates). Supports %s %c %d %u
// %x %o with l/ll length modifiers; nothing else is needed here.
size_t vfmt(char* buf, size_t cap, const char* f, va_list ap);
size_t fmt(char* buf, size_t cap, const char* f, ...) __attribute__((format(printf, 3, 4)));

// errno as Go prints it ("no such file or directory"), because the parent
// forwards these lines to users who compare them with runc's.
const char* errno_text(int err, char* buf, size_t cap);

// Report "<message>[: <errno text>]" and _exit(1). err == 0 means no suffix.
[[noreturn]] void die(int err, const char* f, ...) __attribute__((format(printf, 2, 3)));

// One packet on the sync socket: type byte + payload. Failure to send is
// fatal (the parent is gone), reported on stderr.
void sync_send(char type, const void* payload, size_t len);
// Receives one packet; returns the payload length, or -1 on EOF (parent gone).
long sync_recv(char* type, void* payload, size_t cap);
// Receives one packet and insists on its type; EOF exits silently.
void sync_expect(char type);

// Sends fd with SCM_RIGHTS in a single sendmsg whose data is name
// (common/scm.h). 0 or -errno.
int send_fd(int sock, int fd, const char* name);

// "/proc/self/fd/<fd>": mounting through this magic link pins the exact inode
// that was resolved, so a path component swapped for a symlink afterwards
// cannot redirect the mount.
const char* fd_path(int fd, char buf[32]);

// Writes all of buf to path (O_WRONLY|O_CLOEXEC|extra). 0 or -errno.
int write_file(const char* path, const char* buf, size_t len, int extra_flags);
// Reads up to cap-1 bytes of path, NUL-terminates. Length or -errno.
long read_file(const char* path, char* buf, size_t cap);

// Parses a non-negative decimal int; -1 if malformed.
long parse_uint(const char* s);
