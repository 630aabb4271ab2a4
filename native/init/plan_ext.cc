// Decoding of the plan records with tags 60-69 (format in plan.h): id-mapped
// mounts, network devices, personality, scheduler, I/O priority and memory
// policy. Same rules as plan.cc: every length is checked before use, and a
// record that does not consume exactly its payload is an error.
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "plan_decode.h"
#include "plan_reader.h"
#include "util.h"

namespace {

char g_err[128];

const char* err(const char* f, unsigned v) {
  fmt(g_err, sizeof g_err, f, v);
  return g_err;
}


void* grow(void* arr, size_t n, size_t elem) {
  void* a = realloc(arr, (n + 1) * elem);
  if (!a) die(0, "plan: out of memory");
  memset((char*)a + n * elem, 0, elem);
  return a;
}

// The kernel takes at most 340 lines per map.
bool read_ranges(reader& r, plan_idmap_range** out, size_t* n) {
  uint32_t k = r.u32();
  if (r.bad || k == 0 || k > 340 || r.n < (size_t)k * 12) return false;
  *out = (plan_idmap_range*)calloc(k, sizeof **out);
  if (!*out) die(0, "plan: out of memory");
  for (uint32_t i = 0; i < k; i++) {
    (*out)[i].container = r.u32();
    (*out)[i].host = r.u32();
    (*out)[i].size = r.u32();
    if (!(*out)[i].size) return false;
  }
  *n = k;
  return true;
}

}  // namespace

const char* plan_ext_record(plan* o, uint16_t tag, const uint8_t* payload, size_t len) {
  reader r{payload, len, false};
  // Duplicates of single records are refused by plan_decode's per-plan table.
  switch (tag) {
    case T_IDMAP_MOUNT: {
      uint32_t idx = r.u32();
      uint32_t rec = r.u32();
      if (r.bad) break;
      // The T_MOUNT it refers to must already be decoded: the encoder writes
      // extension records last.
      if (idx >= o->n_mounts) return err("plan: T_IDMAP_MOUNT for unknown mount %u", idx);
      plan_mount* m = &o->mounts[idx];
      if (m->kind != MOUNT_BIND) return err("plan: T_IDMAP_MOUNT for mount %u, which is not a bind", idx);
      if (m->idmap) return err("plan: two T_IDMAP_MOUNT records for mount %u", idx);
      plan_idmap* im = (plan_idmap*)calloc(1, sizeof *im);
      if (!im) die(0, "plan: out of memory");
      im->recursive = rec == 1;
      im->fd = -1;
      if (rec > 1 || !read_ranges(r, &im->uid, &im->n_uid) || !read_ranges(r, &im->gid, &im->n_gid))
        return err("plan: bad id maps in T_IDMAP_MOUNT for mount %u", idx);
      m->idmap = im;
      break;
    }
    case T_NET_DEVICE: {
      o->net_devices = (plan_net_device*)grow(o->net_devices, o->n_net_devices, sizeof *o->net_devices);
      plan_net_device* d = &o->net_devices[o->n_net_devices++];
      uint32_t k = r.u32();
      d->host = r.bytes(k);
      d->name = r.bytes(r.n);
      // IFNAMSIZ is 16 with the NUL.
      if (!r.bad && (!d->host[0] || !d->name[0] || strlen(d->host) > 15 || strlen(d->name) > 15))
        return "plan: bad network device name";
      break;
    }
    case T_PERSONALITY:
      o->has_personality = true;
      o->personality = r.u32();
      break;
    case T_SCHEDULER:
      o->has_scheduler = true;
      o->sched_policy = r.u32();
      o->sched_flags = r.u64();
      o->sched_nice = (int32_t)r.u32();
      o->sched_priority = r.u32();
      o->sched_runtime = r.u64();
      o->sched_deadline = r.u64();
      o->sched_period = r.u64();
      break;
    case T_IO_PRIORITY:
      o->has_ioprio = true;
      o->ioprio = r.u32();
      break;
    case T_MEMORY_POLICY: {
      o->has_mempolicy = true;
      o->mempolicy_mode = r.u32();
      o->mempolicy_flags = r.u32();
      if (r.bad || r.n % 8 || r.n > 128) return "plan: bad memory policy node mask";
      o->n_mempolicy_words = r.n / 8;
      o->mempolicy_nodes = (uint64_t*)calloc(o->n_mempolicy_words + 1, 8);
      if (!o->mempolicy_nodes) die(0, "plan: out of memory");
      for (size_t i = 0; i < o->n_mempolicy_words; i++) o->mempolicy_nodes[i] = r.u64();
      break;
    }
    case T_HOST_FACTS:
      o->has_host_facts = true;
      o->last_cap = r.u32();
      o->setgroups = r.u32();
      if (!r.bad && o->last_cap > 63) return err("plan: last capability %u out of range", o->last_cap);
      if (!r.bad && o->setgroups > SETGROUPS_ASK) return err("plan: unknown setgroups policy %u", o->setgroups);
      break;
    default:
      return err("plan: unknown record tag %u", tag);
  }
  if (r.bad) return err("plan: malformed record (tag %u)", tag);
  if (r.n) return err("plan: trailing bytes in record (tag %u)", tag);
  return nullptr;
}

const char* plan_ext_validate(const plan* p) {
  if (!p->has_host_facts) return "plan: missing T_HOST_FACTS";
  if (p->setgroups == SETGROUPS_ASK) {
    bool joins_user = false;
    for (size_t i = 0; i < p->n_joins; i++) joins_user |= p->joins[i].flag == CLONE_NEWUSER;
    if (!joins_user) return "plan: setgroups policy to be read from a user namespace that is not joined";
  }
  if (p->n_net_devices && !(p->ns_new & CLONE_NEWNET)) return "plan: network devices without a new network namespace";
  return nullptr;
}
