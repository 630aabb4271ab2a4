// The plan: the one flat, fully resolved description of a container that the
// TypeScript side (src/plan/encode.ts) hands to carton-init on an inherited fd.
// TypeScript makes every decision; carton-init only carries the plan out, so
// nothing here is optional "policy" — each record is an instruction.
//
// Binary format, version 1 (all integers little-endian, which is this host's
// order; parent and init always run on the same machine):
//
//   header   : "CRTNPLAN" (8 bytes) | u32 version (=1) | u32 total_len (incl. header)
//   records  : repeated until total_len:
//              u16 tag | u16 zero | u32 len | payload[len]
//
// Strings are raw bytes without a terminating NUL (the encoder rejects NUL
// bytes). A "lstr" is u32 len followed by that many bytes; the last string of a
// record may instead take "the rest of the payload" — each tag below says which.
// Repeated records keep their order (mounts are applied in plan order).
// Unknown tags are a hard error: a newer parent must not silently lose a step.
#pragma once
#include <stdint.h>

#define PLAN_MAGIC "CRTNPLAN"
#define PLAN_VERSION 1u

enum plan_tag : uint16_t {
  // u32 clone flag (CLONE_NEWNS, ...) | rest: path of the namespace to join
  T_NS_JOIN = 1,
  // u32 clone flags for every namespace to create (CLONE_NEWTIME included)
  T_NS_NEW = 2,
  T_HOSTNAME = 3,    // rest: hostname
  T_DOMAINNAME = 4,  // rest: domainname
  T_ROOTFS = 5,      // rest: absolute host path of the rootfs
  T_ROOT_READONLY = 6,  // no payload
  // u32 MS_* flags applied to "/" first (e.g. MS_SLAVE|MS_REC); 0 or absent =
  // MS_SLAVE|MS_REC as in runc ("leave as is" could let a shared host "/"
  // carry the container's mounts back to the host)
  T_ROOTFS_PROPAGATION = 7,
  T_NO_PIVOT = 8,  // no payload: MS_MOVE + chroot instead of pivot_root
  // u32 kind | u32 mount flags (MS_*) | u32 propagation flags (MS_SHARED|MS_SLAVE|
  // MS_PRIVATE|MS_UNBINDABLE, maybe |MS_REC; 0 = none) | u32 attr_clr | u32 attr_set
  // | lstr source | lstr target | lstr fstype | lstr data
  //   kind 0 (MOUNT_FS):   mount(source, target, fstype, flags, data)
  //   kind 1 (MOUNT_BIND): bind source (a host path) onto target
  //                        (MS_REC in flags = rbind), then, if flags has any of
  //                        RDONLY/NOSUID/NODEV/NOEXEC/NOATIME/..., remount the
  //                        bind with MS_REMOUNT|MS_BIND|flags
  //   kind | MOUNT_DEFER_RDONLY (0x100), kind 0 only: flags come without
  //                        MS_RDONLY; the mount is remounted read-only after
  //                        the /dev nodes, links and console are in place
  //                        (a read-only /dev, a tmpfs: runc's finalizeRootfs)
  //   kind | MOUNT_DETACHED_SOURCE (0x200), kind 1 only: stage A opens the
  //                        source with open_tree(OPEN_TREE_CLONE), before any
  //                        namespace, and B attaches that copy (a user
  //                        namespace's root may not reach the source path)
  //   kind 2 (MOUNT_REMOUNT): remount the existing mount at target with
  //                        MS_REMOUNT|flags (used e.g. to make a tmpfs ro after
  //                        filling it)
  //   kind 3 (MOUNT_TMPCOPYUP): a tmpfs (fstype, flags, data as kind 0) that
  //                        starts with a copy of the image's target directory
  // target is an absolute path inside the container; init resolves it inside
  // the rootfs without following symlinks out of it, creating missing
  // directories (or an empty file when the bind source is not a directory).
  // attr_clr/attr_set: MOUNT_ATTR_* for mount_setattr(AT_RECURSIVE) after the
  // mount (recursive read-only etc.); 0/0 = none.
  T_MOUNT = 9,
  // u32 type ('c','b','p','u') | u32 major | u32 minor | u32 mode (perm bits)
  // | u32 uid | u32 gid | u32 bind (1 = bind-mount the host's node of the same
  // path instead of mknod, used in user namespaces) | rest: path in container
  T_DEVICE = 10,
  // lstr link target | rest: link path in the container (created if missing)
  T_SYMLINK = 11,
  T_MASKED_PATH = 12,    // rest: path
  T_READONLY_PATH = 13,  // rest: path
  T_SYSCTL = 14,         // lstr key (dotted, e.g. net.ipv4.ip_forward) | rest: value
  T_CWD = 15,            // rest: absolute cwd inside the container
  T_ARG = 16,            // rest: one argv element (repeated, in order)
  T_ENV = 17,            // rest: one "KEY=value" (repeated, in order)
  // u32 uid | u32 gid | u32 umask (0xffffffff = unset: keep 0022) | u32 n
  // | n * u32 additional gids
  T_USER = 18,
  T_RLIMIT = 19,  // u32 resource | u64 soft | u64 hard
  // u64 bounding | u64 effective | u64 inheritable | u64 permitted | u64 ambient
  T_CAPS = 20,
  T_NO_NEW_PRIVS = 21,  // no payload
  T_OOM_SCORE_ADJ = 22,  // i32
  T_TERMINAL = 23,  // u32 rows | u32 cols (0/0 = leave the pty's default)
  // fd numbers in init's own table: u32 sync socket | u32 exec fifo (opened
  // O_RDWR by the parent) | u32 console socket (0xffffffff = none)
  // | u32 first fd that is init's own (every fd >= this is closed before exec;
  // fds 3..this-1 are --preserve-fds / LISTEN_FDS and go to the process)
  T_FDS = 24,
  T_TIME_OFFSET = 25,  // u32 clock id (CLOCK_MONOTONIC|CLOCK_BOOTTIME) | i64 secs | u32 nsecs
  // rest: name of a new session keyring to join (runc's "_ses.<id>"), so the
  // container does not share the caller's keys; absent with --no-new-keyring
  T_SESSION_KEYRING = 26,
  // u32 SECCOMP_FILTER_FLAG_* | u32 stage (SECCOMP_STAGE_*) | rest: the BPF
  // program, struct sock_filter[] (8 bytes each; binary, NULs allowed).
  // NEW_LISTENER in the flags: the listener fd goes to the parent as 'S'.
  T_SECCOMP = 27,

  // 40-49: exec and hooks.
  // No payload. `carton exec`: the process joins a running container, so
  // there is no exec fifo (T_FDS fifo = PLAN_NO_FD) and B execs right after
  // 'R'; there is no T_ROOTFS, no /dev/console bind, and the cwd is never
  // created (it must already exist inside the container).
  T_EXEC = 40,
  // No payload. After the mounts and before pivot_root, B sends 'H' and
  // waits for 'C', whose payload is lstr state JSON for createContainer
  // hooks | rest: state JSON for startContainer hooks (protocol.h). The
  // parent runs the prestart and createRuntime hooks in between.
  T_HOOKS_PAUSE = 41,
  // One hook that init runs itself, in the container's namespaces:
  // u32 kind (HOOK_CREATE_CONTAINER | HOOK_START_CONTAINER) | u32 timeout in
  // seconds (0 = none) | u32 nargs | u32 nenv | lstr path | nargs * lstr arg
  // | nenv * lstr env. Repeated, in the order they run.
  T_HOOK = 42,
  // No payload (--debug): B reports 'T' + phase name ("mounts", "pivot") as
  // it passes them, for the CLI's per-phase timing trace.
  T_TRACE = 43,
  // 60-69: decoded in plan_ext.cc (a tag range of its own, so the core
  // records above stay as they are).
  // u32 index of a T_MOUNT record (kind MOUNT_BIND, earlier in the plan)
  // | u32 recursive (1 = ridmap: AT_RECURSIVE) | u32 n | n * (u32 container
  // id, u32 host id, u32 size) uid map | u32 m | m * (...) gid map.
  // Stage A makes a user namespace with exactly these maps, open_tree()s the
  // source (OPEN_TREE_CLONE), sets MOUNT_ATTR_IDMAP on the detached copy and
  // stage B move_mount()s it onto the target instead of bind-mounting.
  T_IDMAP_MOUNT = 60,
  // lstr host link name | rest: name in the container. Stage A moves the
  // link (renamed) into B's new network namespace over rtnetlink after the
  // clone, before 'P'; B then re-adds the permanent global addresses read
  // before the move and sets the link up (moving a link drops its addresses).
  T_NET_DEVICE = 61,
  T_PERSONALITY = 62,  // u32 persona for personality(2) (PER_LINUX, PER_LINUX32)
  // u32 policy | u64 flags | i32 nice | u32 priority | u64 runtime
  // | u64 deadline | u64 period: sched_setattr(2) of the container process
  T_SCHEDULER = 63,
  T_IO_PRIORITY = 64,  // u32 ioprio value (class << 13 | level) for ioprio_set(2)
  // u32 mode | u32 flags (MPOL_F_*) | rest: nodemask, u64 words
  T_MEMORY_POLICY = 65,
  // Facts about the host, read by the parent in the runtime's namespaces,
  // never by init from inside the container, whose rootfs may hold a fake
  // /proc (no /proc mount in the config): u32 last capability
  // (/proc/sys/kernel/cap_last_cap) | u32 setgroups policy of the user
  // namespace the process ends up in (SETGROUPS_*). Required, exactly once.
  T_HOST_FACTS = 66,
};

// SETGROUPS_ASK: a joined user namespace; stage A reads /proc/self/setgroups
// right after setns(user), while its /proc is still the runtime's (the mount
// namespace is joined last).
enum setgroups_policy : uint32_t { SETGROUPS_ALLOW = 0, SETGROUPS_DENY = 1, SETGROUPS_ASK = 2 };

enum hook_kind : uint32_t { HOOK_CREATE_CONTAINER = 0, HOOK_START_CONTAINER = 1 };

// When init installs the filter: before the user switch (no no_new_privs:
// seccomp(2) then needs CAP_SYS_ADMIN, which the switch may drop), just
// before 'R' (a NOTIFY listener fd must reach the parent), or (everything
// else) after 'R' and the terminal, right before the exec-fifo wait, so the
// waiting init and the startContainer hooks are filtered too (runc's order);
// for exec, right before execve.
enum seccomp_stage : uint32_t { SECCOMP_STAGE_BEFORE_USER = 0, SECCOMP_STAGE_BEFORE_READY = 1, SECCOMP_STAGE_BEFORE_EXEC = 2 };

enum mount_kind : uint32_t { MOUNT_FS = 0, MOUNT_BIND = 1, MOUNT_REMOUNT = 2, MOUNT_TMPCOPYUP = 3 };
#define MOUNT_DEFER_RDONLY 0x100u
#define MOUNT_DETACHED_SOURCE 0x200u

#define PLAN_NO_FD 0xffffffffu
#define PLAN_NO_UMASK 0xffffffffu
