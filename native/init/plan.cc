// Plan decoding (format in plan.h). Every length is checked against what is
// left of the buffer before it is used; the plan comes from our own parent,
// but a truncated or mismatched plan must fail loudly, not half-apply.
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "plan_decode.h"
#include "plan_reader.h"
#include "util.h"

namespace {

char g_err[256];


// Appends one zeroed element, growing the array in powers of two.
void* push(void** arr, size_t* n, size_t elem) {
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

#define PUSH(arr, n) ((decltype(arr))push((void**)&(arr), &(n), sizeof *(arr)))

const char* err(const char* f, unsigned v) {
  fmt(g_err, sizeof g_err, f, v);
  return g_err;
}

// Tags that may appear at most once; a duplicate means the encoder and
// decoder disagree about the format.
bool single(uint16_t tag) {
  switch (tag) {
    case T_NS_JOIN: case T_MOUNT: case T_DEVICE: case T_SYMLINK: case T_MASKED_PATH:
    case T_READONLY_PATH: case T_SYSCTL: case T_ARG: case T_ENV: case T_RLIMIT:
    case T_TIME_OFFSET: case T_IDMAP_MOUNT: case T_NET_DEVICE: case T_HOOK:
      return false;
    default:
      return true;
  }
}

const char* record(plan* o, uint16_t tag, reader& r) {
  switch (tag) {
    case T_NS_JOIN: {
      plan_ns_join* j = PUSH(o->joins, o->n_joins);
      j->flag = r.u32();
      j->path = r.rest();
      break;
    }
    case T_NS_NEW: o->ns_new = r.u32(); break;
    case T_HOSTNAME: o->hostname = r.rest(); break;
    case T_DOMAINNAME: o->domainname = r.rest(); break;
    case T_ROOTFS: o->rootfs = r.rest(); break;
    case T_ROOT_READONLY: o->root_readonly = true; break;
    case T_ROOTFS_PROPAGATION: o->rootfs_propagation = r.u32(); break;
    case T_NO_PIVOT: o->no_pivot = true; break;
    case T_MOUNT: {
      plan_mount* m = PUSH(o->mounts, o->n_mounts);
      m->kind = r.u32();
      m->flags = r.u32();
      m->propagation = r.u32();
      m->attr_clr = r.u32();
      m->attr_set = r.u32();
      m->source = r.lstr();
      m->target = r.lstr();
      m->fstype = r.lstr();
      m->data = r.lstr();
      m->defer_ro = m->kind & MOUNT_DEFER_RDONLY;
      m->detached = m->kind & MOUNT_DETACHED_SOURCE;
      m->src_fd = -1;
      m->kind &= ~(MOUNT_DEFER_RDONLY | MOUNT_DETACHED_SOURCE);
      if (!r.bad && m->kind > MOUNT_TMPCOPYUP) return err("plan: unknown mount kind %u", m->kind);
      if (!r.bad && m->defer_ro && m->kind != MOUNT_FS) return "plan: a deferred read-only mount must be a filesystem mount";
      if (!r.bad && m->detached && m->kind != MOUNT_BIND) return "plan: a detached source needs a bind mount";
      break;
    }
    case T_DEVICE: {
      plan_device* d = PUSH(o->devices, o->n_devices);
      d->type = r.u32();
      d->major = r.u32();
      d->minor = r.u32();
      d->mode = r.u32();
      d->uid = r.u32();
      d->gid = r.u32();
      d->bind = r.u32();
      d->path = r.rest();
      if (!r.bad && d->type != 'c' && d->type != 'b' && d->type != 'p' && d->type != 'u')
        return err("plan: unknown device type %u", d->type);
      break;
    }
    case T_SYMLINK: {
      plan_symlink* s = PUSH(o->symlinks, o->n_symlinks);
      s->target = r.lstr();
      s->path = r.rest();
      break;
    }
    case T_MASKED_PATH: *PUSH(o->masked, o->n_masked) = r.rest(); break;
    case T_READONLY_PATH: *PUSH(o->readonly, o->n_readonly) = r.rest(); break;
    case T_SYSCTL: {
      plan_sysctl* s = PUSH(o->sysctls, o->n_sysctls);
      s->key = r.lstr();
      s->value = r.rest();
      break;
    }
    case T_CWD: o->cwd = r.rest(); break;
    case T_ARG: *PUSH(o->args, o->n_args) = r.rest(); break;
    case T_ENV: *PUSH(o->env, o->n_env) = r.rest(); break;
    case T_USER: {
      o->uid = r.u32();
      o->gid = r.u32();
      o->umask = r.u32();
      uint32_t n = r.u32();
      if (!r.bad && (n > 65536 || r.n != (size_t)n * 4)) return "plan: bad T_USER group count";
      for (uint32_t i = 0; i < n; i++) *PUSH(o->groups, o->n_groups) = r.u32();
      break;
    }
    case T_RLIMIT: {
      plan_rlimit* l = PUSH(o->rlimits, o->n_rlimits);
      l->resource = r.u32();
      l->soft = r.u64();
      l->hard = r.u64();
      if (!r.bad && l->resource >= RLIM_NLIMITS) return err("plan: unknown rlimit %u", l->resource);
      break;
    }
    case T_CAPS:
      o->has_caps = true;
      o->cap_bounding = r.u64();
      o->cap_effective = r.u64();
      o->cap_inheritable = r.u64();
      o->cap_permitted = r.u64();
      o->cap_ambient = r.u64();
      break;
    case T_NO_NEW_PRIVS: o->no_new_privs = true; break;
    case T_SESSION_KEYRING: o->session_keyring = r.rest(); break;
    case T_OOM_SCORE_ADJ: o->has_oom = true, o->oom_score_adj = (int32_t)r.u32(); break;
    case T_TERMINAL:
      o->terminal = true;
      o->rows = r.u32();
      o->cols = r.u32();
      break;
    case T_FDS: {
      uint32_t s = r.u32(), f = r.u32(), c = r.u32(), first = r.u32();
      if (r.bad) break;
      // The fifo may be absent (T_EXEC); validate() checks it matches.
      if (first < 3 || first > 1u << 20 || s < first || f < first || s == f ||
          (c != PLAN_NO_FD && (c < first || c == s || c == f)) || s > 1u << 20 ||
          (f != PLAN_NO_FD && f > 1u << 20) || (c != PLAN_NO_FD && c > 1u << 20))
        return "plan: inconsistent T_FDS";
      o->has_fds = true;
      o->sync_fd = (int)s;
      o->fifo_fd = f == PLAN_NO_FD ? -1 : (int)f;
      o->console_fd = c == PLAN_NO_FD ? -1 : (int)c;
      o->first_own = (int)first;
      break;
    }
    case T_TIME_OFFSET: {
      plan_time_offset* t = PUSH(o->time_offsets, o->n_time_offsets);
      t->clock = r.u32();
      t->secs = (int64_t)r.u64();
      t->nsecs = r.u32();
      if (!r.bad && t->clock != CLOCK_MONOTONIC && t->clock != CLOCK_BOOTTIME)
        return err("plan: unsupported time offset clock %u", t->clock);
      break;
    }
    case T_SECCOMP:
      o->seccomp_flags = r.u32();
      o->seccomp_stage = r.u32();
      if (r.bad) break;
      o->seccomp_prog = r.raw(&o->seccomp_len);
      if (!o->seccomp_len || o->seccomp_len % 8 || o->seccomp_len / 8 > 4096) return "plan: bad seccomp program length";
      if (o->seccomp_stage > SECCOMP_STAGE_BEFORE_EXEC) return err("plan: unknown seccomp stage %u", o->seccomp_stage);
      break;
    case T_EXEC: o->exec_now = true; break;
    case T_HOOKS_PAUSE: o->hooks_pause = true; break;
    case T_TRACE: o->trace = true; break;
    case T_HOOK: {
      plan_hook* h = PUSH(o->hooks, o->n_hooks);
      h->kind = r.u32();
      h->timeout = r.u32();
      uint32_t na = r.u32(), ne = r.u32();
      if (!r.bad && (h->kind > HOOK_START_CONTAINER || na > 4096 || ne > 4096)) return "plan: bad T_HOOK";
      h->path = r.lstr();
      size_t n = 0;
      for (uint32_t i = 0; i < na && !r.bad; i++) *PUSH(h->args, n) = r.lstr();
      if (!na) *PUSH(h->args, n) = h->path;
      *PUSH(h->args, n) = nullptr;
      n = 0;
      for (uint32_t i = 0; i < ne && !r.bad; i++) *PUSH(h->env, n) = r.lstr();
      *PUSH(h->env, n) = nullptr;
      break;
    }
    default:
      if (tag >= 60 && tag < 70) {
        if (const char* e = plan_ext_record(o, tag, r.p, r.n)) return e;
        r.n = 0;
        break;
      }
      return err("plan: unknown record tag %u", tag);
  }
  if (r.bad) return err("plan: malformed record (tag %u)", tag);
  if (r.n) return err("plan: trailing bytes in record (tag %u)", tag);
  return nullptr;
}

// Cross-record rules: things the encoder must never produce, checked here so
// that a bad plan cannot, e.g., change the host's mounts.
const char* validate(const plan* p) {
  if (!p->has_fds) return "plan: missing T_FDS";
  if (!p->n_args) return "plan: missing T_ARG";
  const uint32_t all_ns = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC |
                          CLONE_NEWUTS | CLONE_NEWCGROUP | CLONE_NEWTIME;
  // CLONE_NEWTIME shares bits with clone()'s exit-signal byte: anything but
  // namespace flags here would silently change clone()'s meaning.
  if (p->ns_new & ~all_ns) return err("plan: unknown namespace flags 0x%x", p->ns_new & ~all_ns);
  for (size_t i = 0; i < p->n_joins; i++) {
    uint32_t f = p->joins[i].flag;
    if (!f || (f & ~all_ns) || (f & (f - 1))) return err("plan: bad namespace flag 0x%x to join", f);
  }
  if (p->ns_new & CLONE_NEWUSER) {
    for (size_t i = 0; i < p->n_joins; i++)
      if (p->joins[i].flag == CLONE_NEWUSER) return "plan: user namespace both joined and created";
  }
  if (p->n_time_offsets && !(p->ns_new & CLONE_NEWTIME))
    return "plan: time offsets without a new time namespace";
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
  return plan_ext_validate(p);
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

}  // namespace

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
  if (version != PLAN_VERSION) return err("plan: unsupported version %u", version);
  if (total != len) return err("plan: length mismatch (header says %u bytes)", total);
  // Per decode (never static): a process may decode more than one plan (the fuzz harness does).
  bool seen[128] = {};
  size_t off = 16;
  while (off < len) {
    if (len - off < 8) return "plan: truncated record header";
    uint16_t tag, zero;
    uint32_t rlen;
    memcpy(&tag, buf + off, 2);
    memcpy(&zero, buf + off + 2, 2);
    memcpy(&rlen, buf + off + 4, 4);
    off += 8;
    if (zero != 0) return err("plan: nonzero padding in record (tag %u)", tag);
    if (rlen > len - off) return err("plan: record overruns the plan (tag %u)", tag);
    if (tag < 128) {
      if (seen[tag] && single(tag)) return err("plan: duplicate record (tag %u)", tag);
      seen[tag] = true;
    }
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
