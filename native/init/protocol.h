// The parent <-> carton-init protocol. The parent is the carton CLI (Node);
// "init" is this executable, started by the addon from a sealed memfd copy.
// Messages travel on one SOCK_SEQPACKET socketpair (the T_FDS sync fd); each
// message is one packet: a type byte followed by its payload.
//
//   carton (Node)                      init, stage A                 init, stage B (container pid 1)
//   ─────────────                      ─────────────                 ───────────────────────────────
//   spawn A from memfd, fds:
//     3..k-1 preserved, k plan,
//     then sync, fifo, console ──────▶ read + check plan
//     (clone3 CLONE_INTO_CGROUP:       (already in the cgroup2 cgroup
//     A is born in the cgroup2 one)     when clone3 spawned it)
//   write A's pid to every other       wait for 'G'
//     cgroup (all after posix_spawn)
//   ─── 'G' ─────────────────────────▶ oom_score_adj, id-mapped mount
//                                      fds (T_IDMAP_MOUNT), netDevice
//                                      addresses, setns(joins),
//                                      unshare(NEWTIME)+offsets,
//                                      clone(CLONE_PARENT|NEW*) ──▶ (B is born, a child of
//                                      move netDevices into B's      carton, in the cgroup;
//                                      netns (renamed)               waits for A to exit)
//   ◀── 'P' u32 pid(B) ──────────────  exit(0)
//   reap A                                                          if NEWUSER: wait for 'M'
//   if NEWUSER: write B's setgroups
//     ("deny" unless root), uid_map,
//     gid_map ─────────── 'M' ─────────────────────────────────────▶ setresuid(0)
//                                                                   netDevices: addresses, up
//                                                                   mounts, devices
//                                                                   if T_HOOKS_PAUSE:
//   ◀── 'H' ───────────────────────────────────────────────────────  wait for 'C'
//   run prestart, createRuntime
//   hooks (runtime namespace)
//   ─── 'C' lstr state | state ────────────────────────────────────▶ run createContainer hooks
//                                                                   pivot_root,
//                                                                   console (pty master sent on
//                                                                   the console socket), masked/
//                                                                   readonly paths, hostname,
//                                                                   sysctl, cwd, rlimits,
//                                                                   personality, scheduler, ioprio,
//                                                                   mempolicy, user, caps,
//                                                                   no_new_privs
//   ◀── 'R' ───────────────────────────────────────────────────────  read(exec fifo) blocks
//   write pid file + state, exit                                    ...
//   `carton start`: write 1 byte to the exec fifo ─────────────────▶ startContainer hooks,
//                                                                   close fds, execve(process)
//   (with startContainer/poststart hooks, start waits for POLLERR on its
//   write end of the fifo: B closed it by exec or exit; a failed
//   startContainer hook leaves its error text in the fifo for start to read)
//
// The exec variant (`carton exec`, plan has T_EXEC): A joins every namespace
// of the container's init (/proc/<pid>/ns/*: time, user, the rest, mnt last) and
// creates none; A is born in the container's cgroup2 cgroup (or the --cgroup
// sub-cgroup) and the parent has put it into the other cgroups before 'G'. B does no rootfs work, no hooks, has no
// fifo: after cwd (verified inside the container), rlimits, user, caps and no_new_privs it sends 'R' and execs at once.
// B is the CLI's child, so a foreground exec waits for it.
//
//   carton exec ─── 'G' ──▶ A: setns(all), clone ──▶ B
//               ◀── 'P' ──  exit
//               ◀── 'R' ─────────────────────────────  execve(process)
//
// Any stage that fails sends 'E' + one line of text ("mount proc to /proc:
// permission denied") and exits 1; the parent turns it into the CLI error and
// cleans up. EOF on the sync socket without 'R' also means failure.
// Ordering: A answers 'G' with 'P' or 'E' (a bad plan is reported only after
// 'G'); nothing from B ever precedes 'P'. A plan whose T_FDS cannot be read
// is reported on stderr only. If init exits with a message of ours unread,
// Linux returns ECONNRESET once on the next recv(); recv again to get the
// queued 'E'.
#pragma once

// The message codes (MSG_GO, MSG_PID, ...) are defined in src/plan/format.ts
// and generated into plan_format.h.
#include "plan_format.h"
