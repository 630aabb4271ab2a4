// Filesystem work inside the container's mount namespace: resolving paths
// inside the rootfs (rootfs.cc) and the plan's mounts, devices, symlinks and
// masked/read-only paths (mounts.cc).
#pragma once
#include "plan_decode.h"

enum create_mode { CREATE_NONE, CREATE_DIR, CREATE_FILE };

// O_PATH fd for path (absolute or not, always taken relative to rootfd) with
// every symlink and ".." scoped to rootfd. -1 + errno on failure.
int open_in_root(int rootfd, const char* path);
// Like open_in_root, creating missing components as directories (0755); with
// CREATE_FILE the last component is created as an empty regular file of
// file_mode instead.
int mkdir_all_in_root(int rootfd, const char* path, create_mode mode, unsigned file_mode);
// Splits "/a/b/c" into a malloc'ed parent "/a/b" and name "c"; false if the
// path has no usable last component ("/", "..", "").
bool split_path(const char* path, char** parent, const char** name);

// Where to mount for an O_PATH fd: its /proc/self/fd magic link, or, after
// pivot_root into a rootfs without procfs, the plain path (by then "/" is the
// container's, so symlinks cannot leave it).
const char* mount_point(int fd, const char* path, char buf[32]);
// mount(MS_REMOUNT|flags); on EPERM (locked flags in a user namespace) retries
// with the mount's current nosuid/nodev/noexec kept. 0 or -1 + errno.
int remount(int fd, const char* path, unsigned long flags, const char* data);
// The mount's nosuid/nodev/noexec/atime flags, which a user namespace may not
// clear on remount.
unsigned long locked_flags(int fd);

// rootfs.cc: propagation, rootfs bind, then returns an O_PATH fd of the rootfs.
int rootfs_prepare(const plan* p);
// rootfs.cc: pivot_root (or MS_MOVE+chroot); returns an O_PATH fd of the new "/".
int rootfs_enter(const plan* p, int rootfd);
// rootfs.cc: remount "/" read-only.
void root_readonly();
// rootfs.cc: the root's own shared/unbindable propagation, after every mount.
void root_propagation(const plan* p);

// mounts.cc
void apply_mounts(const plan* p, int rootfd);
// The mounts whose read-only flag waited (MOUNT_DEFER_RDONLY) become read-only.
void mounts_readonly_late(const plan* p, int rootfd);
void create_devices(const plan* p, int rootfd);
void create_symlinks(const plan* p, int rootfd);
void mask_paths(const plan* p, int rootfd);
void readonly_paths(const plan* p, int rootfd);

// nopivot.cc: before MS_MOVE + chroot, unmount (or cover) every full procfs
// and sysfs outside the rootfs, so none stays reachable in the container's
// mount namespace for a user namespace to copy.
void hide_host_pseudofs(const char* rootfs);

// mountinfo.cc: all of /proc/self/mountinfo, malloc'ed and NUL-terminated
// (its size is unknown until read, so it grows as it goes). Dies on failure.
char* read_mountinfo();
// One line of it, split in place; the strings point into the buffer.
struct mountinfo_entry {
  char* root;       // the mount's root within its filesystem ("/": all of it)
  char* mountpoint; // unescaped
  char* optional;   // the optional fields ("shared:N master:M"), maybe ""
  char* fstype;
};
// Splits the line at *cur, advances *cur past it; false at the end of the
// buffer. Lines of another shape are skipped.
bool mountinfo_next(char** cur, mountinfo_entry* e);
// path is dir or below it (by components: "/a/bc" is not under "/a/b").
bool path_under(const char* path, const char* dir);
