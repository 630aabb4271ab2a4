// --no-pivot (T_NO_PIVOT): MS_MOVE + chroot keeps every mount of the old root
// in the container's mount namespace, merely out of sight. The kernel lets
// a user namespace mount procfs or sysfs only if a fully visible one (the
// filesystem's root mounted, nothing locked over it) is already in the mount
// namespace; the host's /proc and /sys were such mounts, so a container
// process could `unshare -mrpf` and mount a bare, unmasked procfs. As runc's
// msMoveRoot does, they are unmounted (or, where a user namespace may not
// unmount them, covered with a tmpfs) before the move.
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "fs.h"
#include "util.h"

void hide_host_pseudofs(const char* rootfs_path) {
  char* rootfs = realpath(rootfs_path, nullptr);
  if (!rootfs) die(errno, "rootfs %s", rootfs_path);
  char* buf = read_mountinfo();
  mountinfo_entry e;
  for (char* cur = buf; mountinfo_next(&cur, &e);) {
    if (strcmp(e.root, "/") || (strcmp(e.fstype, "proc") && strcmp(e.fstype, "sysfs"))) continue;
    const char* mp = e.mountpoint;
    // The container's own mounts (its /proc, maybe /sys) are in the rootfs.
    if (path_under(mp, rootfs)) continue;
    // Slave first, so the unmount cannot propagate to the host. A mount
    // point that is gone went with an ancestor unmounted before it.
    if (mount(nullptr, mp, nullptr, MS_SLAVE | MS_REC, nullptr) < 0) {
      if (errno != ENOENT && errno != EINVAL) die(errno, "make %s rslave before hiding it", mp);
    } else if (umount2(mp, MNT_DETACH) < 0) {
      // EINVAL/EPERM: a mount locked by a user namespace; cover it.
      if (errno != EINVAL && errno != EPERM) die(errno, "unmount %s", mp);
      if (mount("tmpfs", mp, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0)
        die(errno, "cover %s with a tmpfs", mp);
    }
  }
  free(buf);
  free(rootfs);
}
