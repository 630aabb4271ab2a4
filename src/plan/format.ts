// The one definition of the plan's binary format and of the parent <-> init
// protocol's message codes. carton-init's C++ header (plan_format.h) is
// generated from this file at build time by scripts/gen-plan-format.mjs, run
// by binding.gyp before any native source is compiled; nothing here may be
// restated by hand on the C++ side.
//
// Why TypeScript -> C and not the reverse: the TypeScript side already had
// every value as data (objects, enums), so the generator only has to
// transpile this file (esbuild, already a dependency) and print it; the
// reverse would need a C parser or regexes over C, and tsc would then depend
// on a native build step. This file imports nothing so it can be loaded on
// its own.
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
// record may instead take "the rest of the payload": each tag below says which.
// Repeated records keep their order (mounts are applied in plan order). Apart
// from that (and T_IDMAP_MOUNT after the T_MOUNT it names) the decoder takes
// records in any order. Unknown tags are a hard error: a newer parent must not
// silently lose a step. The TypeScript encoder is src/plan/encode/<concern>.ts,
// the decoder native/init/plan_<concern>.cc, one pair per concern below.

export const PLAN_MAGIC = 'CRTNPLAN';
export const PLAN_VERSION = 1;
/** T_FDS: no such fd (no console socket; no exec fifo with T_EXEC) */
export const NO_FD = 0xffffffff;
/** T_USER umask: unset, keep 0022 */
export const NO_UMASK = 0xffffffff;

/** Which encoder (src/plan/encode/<concern>.ts) and decoder (plan_<concern>.cc) own a tag. */
export type Concern = 'namespaces' | 'mounts' | 'process' | 'security' | 'lifecycle';

interface TagDef {
  id: number;
  concern: Concern;
  /** may appear more than once (otherwise a duplicate is a decode error) */
  repeated?: boolean;
}

export const TAGS = {
  // ---- namespaces (encode/namespaces.ts, plan_namespaces.cc)
  /** u32 clone flag (CLONE_NEWNS, ...) | rest: path of the namespace to join */
  NS_JOIN: { id: 1, concern: 'namespaces', repeated: true },
  /** u32 clone flags for every namespace to create (CLONE_NEWTIME included) */
  NS_NEW: { id: 2, concern: 'namespaces' },
  /** rest: hostname */
  HOSTNAME: { id: 3, concern: 'namespaces' },
  /** rest: domainname */
  DOMAINNAME: { id: 4, concern: 'namespaces' },
  /** lstr key (dotted, e.g. net.ipv4.ip_forward) | rest: value */
  SYSCTL: { id: 14, concern: 'namespaces', repeated: true },
  /** u32 clock id (CLOCK_MONOTONIC|CLOCK_BOOTTIME) | i64 secs | u32 nsecs */
  TIME_OFFSET: { id: 25, concern: 'namespaces', repeated: true },
  /**
   * lstr host link name | rest: name in the container. Stage A moves the
   * link (renamed) into B's new network namespace over rtnetlink after the
   * clone, before 'P'; B then re-adds the permanent global addresses read
   * before the move and sets the link up (moving a link drops its addresses).
   */
  NET_DEVICE: { id: 61, concern: 'namespaces', repeated: true },

  // ---- mounts (encode/mounts.ts, plan_mounts.cc)
  /** rest: absolute host path of the rootfs */
  ROOTFS: { id: 5, concern: 'mounts' },
  /** no payload */
  ROOT_READONLY: { id: 6, concern: 'mounts' },
  /**
   * u32 MS_* flags applied to "/" first (e.g. MS_SLAVE|MS_REC); 0 or absent =
   * MS_SLAVE|MS_REC as in runc ("leave as is" could let a shared host "/"
   * carry the container's mounts back to the host)
   */
  ROOTFS_PROPAGATION: { id: 7, concern: 'mounts' },
  /** no payload: MS_MOVE + chroot instead of pivot_root */
  NO_PIVOT: { id: 8, concern: 'mounts' },
  /**
   * u32 kind (MountKind) | u32 mount flags (MS_*) | u32 propagation flags
   * (MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE, maybe |MS_REC; 0 = none)
   * | u32 attr_clr | u32 attr_set | lstr source | lstr target | lstr fstype | lstr data.
   * target is an absolute path inside the container; init resolves it inside
   * the rootfs without following symlinks out of it, creating missing
   * directories (or an empty file when the bind source is not a directory).
   * attr_clr/attr_set: MOUNT_ATTR_* for mount_setattr(AT_RECURSIVE) after the
   * mount (recursive read-only etc.); 0/0 = none. The kind may carry bits of
   * MOUNT_KIND_FLAG.
   */
  MOUNT: { id: 9, concern: 'mounts', repeated: true },
  /**
   * u32 type ('c','b','p','u') | u32 major | u32 minor | u32 mode (perm bits)
   * | u32 uid | u32 gid | u32 bind (1 = bind-mount the host's node of the same
   * path instead of mknod, used in user namespaces) | rest: path in container
   */
  DEVICE: { id: 10, concern: 'mounts', repeated: true },
  /** lstr link target | rest: link path in the container (created if missing) */
  SYMLINK: { id: 11, concern: 'mounts', repeated: true },
  /** rest: path */
  MASKED_PATH: { id: 12, concern: 'mounts', repeated: true },
  /** rest: path */
  READONLY_PATH: { id: 13, concern: 'mounts', repeated: true },
  /**
   * u32 index of a T_MOUNT record (kind MOUNT_BIND, earlier in the plan)
   * | u32 recursive (1 = ridmap: AT_RECURSIVE) | u32 n | n * (u32 container
   * id, u32 host id, u32 size) uid map | u32 m | m * (...) gid map.
   * Stage A makes a user namespace with exactly these maps, open_tree()s the
   * source (OPEN_TREE_CLONE), sets MOUNT_ATTR_IDMAP on the detached copy and
   * stage B move_mount()s it onto the target instead of bind-mounting.
   */
  IDMAP_MOUNT: { id: 60, concern: 'mounts', repeated: true },

  // ---- process (encode/process.ts, plan_process.cc)
  /** rest: absolute cwd inside the container */
  CWD: { id: 15, concern: 'process' },
  /** rest: one argv element (repeated, in order) */
  ARG: { id: 16, concern: 'process', repeated: true },
  /** rest: one "KEY=value" (repeated, in order) */
  ENV: { id: 17, concern: 'process', repeated: true },
  /** u32 uid | u32 gid | u32 umask (NO_UMASK = unset: keep 0022) | u32 n | n * u32 additional gids */
  USER: { id: 18, concern: 'process' },
  /** u32 resource | u64 soft | u64 hard */
  RLIMIT: { id: 19, concern: 'process', repeated: true },
  /** i32 */
  OOM_SCORE_ADJ: { id: 22, concern: 'process' },
  /** u32 rows | u32 cols (0/0 = leave the pty's default) */
  TERMINAL: { id: 23, concern: 'process' },
  /**
   * fd numbers in init's own table: u32 sync socket | u32 exec fifo (opened
   * O_RDWR by the parent) | u32 console socket (NO_FD = none) | u32 first fd
   * that is init's own (every fd >= this is closed before exec; fds
   * 3..this-1 are --preserve-fds / LISTEN_FDS and go to the process)
   */
  FDS: { id: 24, concern: 'process' },
  /** u32 persona for personality(2) (PER_LINUX, PER_LINUX32) */
  PERSONALITY: { id: 62, concern: 'process' },
  /** u32 policy | u64 flags | i32 nice | u32 priority | u64 runtime | u64 deadline | u64 period: sched_setattr(2) */
  SCHEDULER: { id: 63, concern: 'process' },
  /** u32 ioprio value (class << 13 | level) for ioprio_set(2) */
  IO_PRIORITY: { id: 64, concern: 'process' },
  /** u32 mode | u32 flags (MPOL_F_*) | rest: nodemask, u64 words */
  MEMORY_POLICY: { id: 65, concern: 'process' },

  // ---- security (encode/security.ts, plan_security.cc)
  /** u64 bounding | u64 effective | u64 inheritable | u64 permitted | u64 ambient */
  CAPS: { id: 20, concern: 'security' },
  /** no payload */
  NO_NEW_PRIVS: { id: 21, concern: 'security' },
  /**
   * rest: name of a new session keyring to join (runc's "_ses.<id>"), so the
   * container does not share the caller's keys; absent with --no-new-keyring
   */
  SESSION_KEYRING: { id: 26, concern: 'security' },
  /**
   * u32 SECCOMP_FILTER_FLAG_* | u32 stage (SeccompStage) | rest: the BPF
   * program, struct sock_filter[] (8 bytes each; binary, NULs allowed).
   * NEW_LISTENER in the flags: the listener fd goes to the parent as MSG.SECCOMP.
   */
  SECCOMP: { id: 27, concern: 'security' },
  /**
   * Facts about the host, read by the parent in the runtime's namespaces
   * (src/plan/host.ts), never by init from inside the container, whose rootfs
   * may hold a fake /proc (no /proc mount in the config): u32 last capability
   * (/proc/sys/kernel/cap_last_cap) | u32 setgroups policy of the user
   * namespace the process ends up in (Setgroups). Required, exactly once.
   */
  HOST_FACTS: { id: 66, concern: 'security' },

  // ---- lifecycle: exec and hooks (encode/lifecycle.ts, plan_lifecycle.cc)
  /**
   * No payload. `carton exec`: the process joins a running container, so
   * there is no exec fifo (T_FDS fifo = NO_FD) and B execs right after 'R';
   * there is no T_ROOTFS, no /dev/console bind, and the cwd is never created
   * (it must already exist inside the container).
   */
  EXEC: { id: 40, concern: 'lifecycle' },
  /**
   * No payload. After the mounts and before pivot_root, B sends 'H' and waits
   * for 'C', whose payload is lstr state JSON for createContainer hooks | rest:
   * state JSON for startContainer hooks (protocol.h). The parent runs the
   * prestart and createRuntime hooks in between.
   */
  HOOKS_PAUSE: { id: 41, concern: 'lifecycle' },
  /**
   * One hook that init runs itself, in the container's namespaces: u32 kind
   * (HookKind) | u32 timeout in seconds (0 = none) | u32 nargs | u32 nenv
   * | lstr path | nargs * lstr arg | nenv * lstr env. Repeated, in the order they run.
   */
  HOOK: { id: 42, concern: 'lifecycle', repeated: true },
  /** No payload (--debug): B reports 'T' + phase name ("mounts", "pivot") as it passes them. */
  TRACE: { id: 43, concern: 'lifecycle' },
} as const satisfies Record<string, TagDef>;

export type TagName = keyof typeof TAGS;

/** Tag numbers by name: TAG.MOUNT === 9 (T_MOUNT in C++). */
export const TAG = Object.fromEntries(Object.entries(TAGS).map(([k, v]) => [k, v.id])) as {
  readonly [K in TagName]: (typeof TAGS)[K]['id'];
};

/** T_MOUNT kind (C++: enum mount_kind, MOUNT_FS ...). */
export const enum MountKind {
  /** mount(source, target, fstype, flags, data) */
  Fs = 0,
  /**
   * bind source (a host path) onto target (MS_REC in flags = rbind), then, if
   * flags has any of RDONLY/NOSUID/NODEV/NOEXEC/NOATIME/..., remount the bind
   * with MS_REMOUNT|MS_BIND|flags
   */
  Bind = 1,
  /** remount the existing mount at target with MS_REMOUNT|flags (e.g. a tmpfs ro after filling it) */
  Remount = 2,
  /** a tmpfs (fstype, flags, data as Fs) that starts with a copy of the image's target directory (tmpcopyup) */
  TmpCopyUp = 3,
}

/** Bits or'ed into a T_MOUNT kind (C++: MOUNT_DEFER_RDONLY, MOUNT_DETACHED_SOURCE). */
export const MOUNT_KIND_FLAG = {
  /**
   * MountKind.Fs only: flags come without MS_RDONLY; the mount is remounted
   * read-only after the /dev nodes, links and console are in place (a
   * read-only /dev, a tmpfs: runc's finalizeRootfs)
   */
  DEFER_RDONLY: 0x100,
  /**
   * MountKind.Bind only: stage A opens the source with
   * open_tree(OPEN_TREE_CLONE), before any namespace, and B attaches that
   * copy (a user namespace's root may not reach the source path)
   */
  DETACHED_SOURCE: 0x200,
} as const;

/** T_HOOK kind (C++: enum hook_kind, HOOK_CREATE_CONTAINER ...). */
export const enum HookKind {
  CreateContainer = 0,
  StartContainer = 1,
}

/** Where in init the seccomp filter goes in (native/init/seccomp.cc; C++: enum seccomp_stage). */
export const enum SeccompStage {
  /** without no_new_privs installing needs CAP_SYS_ADMIN: before the user switch drops it (as runc) */
  BeforeUser = 0,
  /** NOTIFY: the listener fd must reach the parent before 'R' */
  BeforeReady = 1,
  /**
   * after 'R' and the terminal, right before the exec-fifo wait, so the
   * waiting init and the startContainer hooks are filtered too (runc's
   * order); for exec, right before execve
   */
  BeforeExec = 2,
}

/** T_HOST_FACTS setgroups policy (C++: enum setgroups_policy, SETGROUPS_ALLOW ...). */
export const enum Setgroups {
  Allow = 0,
  Deny = 1,
  /**
   * a joined user namespace: stage A reads /proc/self/setgroups right after
   * setns(user), while its /proc is still the runtime's (the mount namespace
   * is joined last)
   */
  Ask = 2,
}

/**
 * Parent <-> init messages on the sync socket (C++: MSG_GO ...): one
 * SOCK_SEQPACKET packet each, this type byte and a payload. The sequence is
 * drawn in native/init/protocol.h.
 */
export const MSG = {
  /** parent -> A: cgroups are set, go on */
  GO: 'G',
  /** A -> parent: u32 host pid of B */
  PID: 'P',
  /** parent -> B: id maps are written */
  MAPPED: 'M',
  /** B -> parent: set up, waiting on the exec fifo */
  READY: 'R',
  /** any -> parent: one-line error text follows */
  ERROR: 'E',
  /** B -> parent, with SCM_RIGHTS: the seccomp listener fd (SCMP_ACT_NOTIFY), sent before 'R' */
  SECCOMP: 'S',
  /** B -> parent: mounts done, run the runtime hooks */
  HOOKS: 'H',
  /** parent -> B: hooks ran; u32 len + state JSON | state JSON */
  CONTINUE: 'C',
  /** B -> parent (T_TRACE only): phase name; may precede 'H' or 'R' */
  TRACE: 'T',
} as const;
