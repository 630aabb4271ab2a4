// Plan decoding: the header, the record framing, and the rules across
// records. Each record's payload is decoded by its concern's file
// (plan_namespaces.cc, plan_mounts.cc, plan_process.cc, plan_security.cc,
// plan_lifecycle.cc), picked by plan_tag_concern() from the generated
// plan_format.h (format: src/plan/format.ts). Every length is checked against
// what is left of the buffer before it is used; the plan comes from our own
// parent, but a truncated or mismatched plan must fail loudly, not half-apply.
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "plan_reader.h"

namespace {

char g_err[256];

const char* record(plan* o, uint16_t tag, reader& r) {
  const char* e;
  switch (plan_tag_concern(tag)) {
    case PLAN_NAMESPACES: e = plan_namespaces_record(o, tag, r); break;
    case PLAN_MOUNTS: e = plan_mounts_record(o, tag, r); break;
    case PLAN_PROCESS: e = plan_process_record(o, tag, r); break;
    case PLAN_SECURITY: e = plan_security_record(o, tag, r); break;
    case PLAN_LIFECYCLE: e = plan_lifecycle_record(o, tag, r); break;
    default: return plan_errf("plan: unknown record tag %u", tag);
  }
  if (e) return e;
  if (r.bad) return plan_errf("plan: malformed record (tag %u)", tag);
  if (r.n) return plan_errf("plan: trailing bytes in record (tag %u)", tag);
  return nullptr;
}

// Cross-record rules: things the encoder must never produce, checked here so
// that a bad plan cannot, e.g., change the host's mounts.
const char* validate(const plan* p) {
  if (!p->has_fds) return "plan: missing T_FDS";
  if (!p->has_host_facts) return "plan: missing T_HOST_FACTS";
  if (p->setgroups == SETGROUPS_ASK) {
    bool joins_user = false;
    for (size_t i = 0; i < p->n_joins; i++) joins_user |= p->joins[i].flag == CLONE_NEWUSER;
    if (!joins_user) return "plan: setgroups policy to be read from a user namespace that is not joined";
  }
  if (!p->n_args) return "plan: missing T_ARG";
  const uint32_t all_ns = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
                          CLONE_NEWCGROUP | CLONE_NEWTIME;
  // CLONE_NEWTIME shares bits with clone()'s exit-signal byte: anything but
  // namespace flags here would silently change clone()'s meaning.
  if (p->ns_new & ~all_ns) return plan_errf("plan: unknown namespace flags 0x%x", p->ns_new & ~all_ns);
  for (size_t i = 0; i < p->n_joins; i++) {
    uint32_t f = p->joins[i].flag;
    if (!f || (f & ~all_ns) || (f & (f - 1))) return plan_errf("plan: bad namespace flag 0x%x to join", f);
  }
  if (p->ns_new & CLONE_NEWUSER) {
    for (size_t i = 0; i < p->n_joins; i++)
      if (p->joins[i].flag == CLONE_NEWUSER) return "plan: user namespace both joined and created";
  }
  if (p->n_time_offsets && !(p->ns_new & CLONE_NEWTIME)) return "plan: time offsets without a new time namespace";
  if (p->n_net_devices && !(p->ns_new & CLONE_NEWNET)) return "plan: network devices without a new network namespace";
  bool mnt = plan_has_mount_ns(p);
  if (!p->rootfs && (p->n_mounts || p->n_devices || p->n_symlinks || p->no_pivot || p->rootfs_propagation))
    return "plan: mounts, devices or symlinks without T_ROOTFS";
  // Without a mount namespace the rootfs is only chroot()ed into (as runc):
  // nothing may remount, mask or move the runtime's own mounts.
  if (!mnt && (p->n_masked || p->n_readonly || p->root_readonly || p->no_pivot))
    return "plan: path masking, a read-only root or no-pivot without a mount namespace";
  bool uts = p->ns_new & CLONE_NEWUTS;
  for (size_t i = 0; i < p->n_joins; i++) uts |= p->joins[i].flag == CLONE_NEWUTS;
  if ((p->hostname || p->domainname) && !uts) return "plan: hostname without a UTS namespace";
  if (p->terminal && p->console_fd < 0) return "plan: T_TERMINAL without a console socket";
  if (p->rootfs && p->rootfs[0] != '/') return "plan: rootfs is not an absolute path";
  if (p->exec_now != (p->fifo_fd < 0)) return "plan: an exec fifo is required exactly when T_EXEC is absent";
  if (p->exec_now && (p->rootfs || p->ns_new || p->hooks_pause || p->n_hooks || p->hostname || p->domainname ||
                      p->n_sysctls || p->n_masked || p->n_readonly || p->root_readonly))
    return "plan: T_EXEC with container setup records";
  for (size_t i = 0; i < p->n_hooks; i++)
    if (p->hooks[i].kind == HOOK_CREATE_CONTAINER && !p->rootfs) return "plan: createContainer hook without T_ROOTFS";
  if (p->n_hooks && !p->hooks_pause) return "plan: T_HOOK without T_HOOKS_PAUSE";
  return nullptr;
}

// Finds T_FDS wherever it is, before the real decode: if a record in front
// of it is bad, the error should still reach the parent on the sync socket
// rather than a terminal. Stops at the first structurally broken header.
void prescan_fds(const uint8_t* buf, size_t len, plan* o) {
  for (size_t off = 16; len - off >= 8;) {
    uint16_t tag;
    uint32_t rlen;
    memcpy(&tag, buf + off, 2);
    memcpy(&rlen, buf + off + 4, 4);
    off += 8;
    if (rlen > len - off) return;
    if (tag == T_FDS) {
      reader r{buf + off, rlen, false};
      record(o, tag, r);
      return;
    }
    off += rlen;
  }
}

} // namespace

void* plan_push(void** arr, size_t* n, size_t elem) {
  if (*n == 0 || (*n & (*n - 1)) == 0) {
    void* a = realloc(*arr, (*n ? *n * 2 : 1) * elem);
    if (!a) die(0, "plan: out of memory");
    *arr = a;
  }
  char* e = (char*)*arr + *n * elem;
  memset(e, 0, elem);
  (*n)++;
  return e;
}

const char* plan_errf(const char* f, unsigned v) {
  fmt(g_err, sizeof g_err, f, v);
  return g_err;
}

bool plan_has_mount_ns(const plan* p) {
  if (p->ns_new & CLONE_NEWNS) return true;
  for (size_t i = 0; i < p->n_joins; i++)
    if (p->joins[i].flag == CLONE_NEWNS) return true;
  return false;
}

const char* plan_decode(const uint8_t* buf, size_t len, plan* o) {
  memset(o, 0, sizeof *o);
  o->umask = PLAN_NO_UMASK;
  o->console_fd = -1;
  if (len < 16 || memcmp(buf, PLAN_MAGIC, 8) != 0) return "plan: bad magic";
  prescan_fds(buf, len, o);
  uint32_t version, total;
  memcpy(&version, buf + 8, 4);
  memcpy(&total, buf + 12, 4);
  if (version != PLAN_VERSION) return plan_errf("plan: unsupported version %u", version);
  if (total != len) return plan_errf("plan: length mismatch (header says %u bytes)", total);
  // Per decode (never static): a process may decode more than one plan (the fuzz harness does).
  bool seen[PLAN_TAG_MAX + 1] = {};
  size_t off = 16;
  while (off < len) {
    if (len - off < 8) return "plan: truncated record header";
    uint16_t tag, zero;
    uint32_t rlen;
    memcpy(&tag, buf + off, 2);
    memcpy(&zero, buf + off + 2, 2);
    memcpy(&rlen, buf + off + 4, 4);
    off += 8;
    if (zero != 0) return plan_errf("plan: nonzero padding in record (tag %u)", tag);
    if (rlen > len - off) return plan_errf("plan: record overruns the plan (tag %u)", tag);
    if (plan_tag_concern(tag) == PLAN_UNKNOWN_TAG) return plan_errf("plan: unknown record tag %u", tag);
    // A single-record tag twice means the encoder and decoder disagree.
    if (seen[tag] && !plan_tag_repeated(tag)) return plan_errf("plan: duplicate record (tag %u)", tag);
    seen[tag] = true;
    reader r{buf + off, rlen, false};
    if (const char* e = record(o, tag, r)) return e;
    off += rlen;
  }
  if (const char* e = validate(o)) return e;
  // execve wants NULL-terminated vectors.
  *PUSH(o->args, o->n_args) = nullptr;
  o->n_args--;
  *PUSH(o->env, o->n_env) = nullptr;
  o->n_env--;
  if (!o->cwd) o->cwd = (char*)"/";
  return nullptr;
}
