// Process attributes that are set last (security.cc) and the exec (exec.cc).
#pragma once
#include "plan_decode.h"

void apply_rlimits(const plan* p);
// A fresh session keyring, so keys of the caller's session stay out.
void join_session_keyring(const plan* p);
// Bounding set, groups, uid/gid, capabilities, umask, no_new_privs.
void apply_user(const plan* p);

// seccomp.cc: installs the plan's filter if the plan puts it at this stage
// (SECCOMP_STAGE_*); a NOTIFY listener fd is sent to the parent as 'S'.
void install_seccomp(const plan* p, uint32_t stage);

// exec.cc: PATH lookup with runc's error wording. Returns a malloc'ed path.
char* find_executable(const plan* p);
// exec.cc: chdir to the plan's cwd. Returns false (and does nothing) if it
// failed with EACCES, so the caller can retry as the container user.
bool enter_cwd(const plan* p, bool last_try);
// exec.cc: installs a SECCOMP_STAGE_BEFORE_EXEC filter, blocks until
// `carton start` writes the exec fifo (not for exec), then execs.
[[noreturn]] void wait_and_exec(const plan* p, const char* path);
