// Decoding of the mounts records (tags and layouts: src/plan/format.ts;
// encoder: src/plan/encode/mounts.ts): the rootfs and its propagation,
// mounts and their id maps, devices, symlinks, masked and read-only paths.
#include <stdlib.h>

#include "plan_reader.h"

namespace {

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

const char* idmap_mount(plan* o, reader& r) {
  uint32_t idx = r.u32();
  uint32_t rec = r.u32();
  if (r.bad) return nullptr;
  // The T_MOUNT it refers to must already be decoded: the encoder writes
  // the id maps after every T_MOUNT.
  if (idx >= o->n_mounts) return plan_errf("plan: T_IDMAP_MOUNT for unknown mount %u", idx);
  plan_mount* m = &o->mounts[idx];
  if (m->kind != MOUNT_BIND) return plan_errf("plan: T_IDMAP_MOUNT for mount %u, which is not a bind", idx);
  if (m->idmap) return plan_errf("plan: two T_IDMAP_MOUNT records for mount %u", idx);
  plan_idmap* im = (plan_idmap*)calloc(1, sizeof *im);
  if (!im) die(0, "plan: out of memory");
  im->recursive = rec == 1;
  im->fd = -1;
  if (rec > 1 || !read_ranges(r, &im->uid, &im->n_uid) || !read_ranges(r, &im->gid, &im->n_gid))
    return plan_errf("plan: bad id maps in T_IDMAP_MOUNT for mount %u", idx);
  m->idmap = im;
  return nullptr;
}

} // namespace

const char* plan_mounts_record(plan* o, uint16_t tag, reader& r) {
  switch (tag) {
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
      if (!r.bad && m->kind > MOUNT_TMP_COPY_UP) return plan_errf("plan: unknown mount kind %u", m->kind);
      if (!r.bad && m->defer_ro && m->kind != MOUNT_FS)
        return "plan: a deferred read-only mount must be a filesystem mount";
      if (!r.bad && m->detached && m->kind != MOUNT_BIND) return "plan: a detached source needs a bind mount";
      break;
    }
    case T_IDMAP_MOUNT: return idmap_mount(o, r);
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
        return plan_errf("plan: unknown device type %u", d->type);
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
    default: return plan_errf("plan: tag %u is not a mounts record", tag);
  }
  return nullptr;
}
