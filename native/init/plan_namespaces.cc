// Decoding of the namespaces records (tags and layouts: src/plan/format.ts;
// encoder: src/plan/encode/namespaces.ts): namespaces to join and create,
// time offsets, UTS names, sysctls, network devices.
#include <string.h>
#include <time.h>

#include "plan_reader.h"

const char* plan_namespaces_record(plan* o, uint16_t tag, reader& r) {
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
    case T_SYSCTL: {
      plan_sysctl* s = PUSH(o->sysctls, o->n_sysctls);
      s->key = r.lstr();
      s->value = r.rest();
      break;
    }
    case T_TIME_OFFSET: {
      plan_time_offset* t = PUSH(o->time_offsets, o->n_time_offsets);
      t->clock = r.u32();
      t->secs = (int64_t)r.u64();
      t->nsecs = r.u32();
      if (!r.bad && t->clock != CLOCK_MONOTONIC && t->clock != CLOCK_BOOTTIME)
        return plan_errf("plan: unsupported time offset clock %u", t->clock);
      break;
    }
    case T_NET_DEVICE: {
      plan_net_device* d = PUSH(o->net_devices, o->n_net_devices);
      d->host = r.lstr();
      d->name = r.rest();
      // IFNAMSIZ is 16 with the NUL.
      if (!r.bad && (!d->host[0] || !d->name[0] || strlen(d->host) > 15 || strlen(d->name) > 15))
        return "plan: bad network device name";
      break;
    }
    default: return plan_errf("plan: tag %u is not a namespaces record", tag);
  }
  return nullptr;
}
