// linux.netDevices (T_NET_DEVICE, src/plan/format.ts): host links moved into the
// container's new network namespace, over rtnetlink.
//
//  stage A, before clone: note each link's index and its permanent global
//           addresses (moving a link to another namespace drops them all);
//  stage A, after clone:  move the link into B's namespace, renamed in the
//           same message (so no name clash is possible on the host), before
//           'P': B is still waiting for A to exit;
//  stage B:               re-add the noted addresses and set the link up.
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ext.h"
#include "util.h"

namespace {

struct saved_addr {
  uint8_t family, prefixlen, scope;
  uint32_t flags;
  uint8_t local[16], address[16];
  uint8_t local_len, address_len;
};

struct dev_state {
  int ifindex;
  saved_addr* addrs;
  size_t n_addrs;
};

dev_state* g_devs; // parallel to plan.net_devices; B inherits it through clone

struct msg {
  nlmsghdr h;
  char buf[1024];
};

void add_attr(nlmsghdr* h, uint16_t type, const void* data, size_t len) {
  rtattr* a = (rtattr*)((char*)h + NLMSG_ALIGN(h->nlmsg_len));
  a->rta_type = type;
  a->rta_len = (unsigned short)RTA_LENGTH(len);
  memcpy(RTA_DATA(a), data, len);
  h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

// Zeroes m and starts a request of `type` whose fixed header (ifinfomsg,
// ifaddrmsg) is len bytes; returns that header for the caller to fill.
void* nl_start(msg* m, uint16_t type, size_t len) {
  memset(m, 0, sizeof *m);
  m->h.nlmsg_len = NLMSG_LENGTH(len);
  m->h.nlmsg_type = type;
  return NLMSG_DATA(&m->h);
}

// An RTM_NEWLINK request for the link at ifindex: the move into the
// container's namespace and the final "set up" are both changes to it.
ifinfomsg* new_link(msg* m, int ifindex) {
  ifinfomsg* ifi = (ifinfomsg*)nl_start(m, RTM_NEWLINK, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  return ifi;
}

int nl_open() {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) die(errno, "netlink socket");
  return fd;
}

// Sends one request and waits for its ACK. 0 or -errno.
int nl_request(int fd, nlmsghdr* h) {
  static uint32_t seq;
  h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  h->nlmsg_seq = ++seq;
  if (send(fd, h, h->nlmsg_len, 0) < 0) return -errno;
  char buf[8192];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    for (nlmsghdr* r = (nlmsghdr*)buf; NLMSG_OK(r, (size_t)n); r = NLMSG_NEXT(r, n)) {
      if (r->nlmsg_seq != h->nlmsg_seq || r->nlmsg_type != NLMSG_ERROR) continue;
      return ((nlmsgerr*)NLMSG_DATA(r))->error;
    }
  }
}

// Permanent addresses of global scope on ifindex (runtime-spec: only those
// move with the device).
void save_addrs(int fd, const char* name, dev_state* d) {
  msg m;
  nl_start(&m, RTM_GETADDR, sizeof(ifaddrmsg));
  m.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  m.h.nlmsg_seq = 1;
  if (send(fd, &m, m.h.nlmsg_len, 0) < 0) die(errno, "network device %s: list addresses", name);
  char buf[16384];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die(errno, "network device %s: list addresses", name);
    for (nlmsghdr* r = (nlmsghdr*)buf; NLMSG_OK(r, (size_t)n); r = NLMSG_NEXT(r, n)) {
      if (r->nlmsg_type == NLMSG_DONE) return;
      if (r->nlmsg_type == NLMSG_ERROR)
        die(-((nlmsgerr*)NLMSG_DATA(r))->error, "network device %s: list addresses", name);
      if (r->nlmsg_type != RTM_NEWADDR) continue;
      ifaddrmsg* ifa = (ifaddrmsg*)NLMSG_DATA(r);
      if ((int)ifa->ifa_index != d->ifindex || ifa->ifa_scope != RT_SCOPE_UNIVERSE) continue;
      saved_addr a;
      memset(&a, 0, sizeof a);
      a.family = ifa->ifa_family, a.prefixlen = ifa->ifa_prefixlen, a.scope = ifa->ifa_scope, a.flags = ifa->ifa_flags;
      int len = (int)IFA_PAYLOAD(r);
      for (rtattr* at = IFA_RTA(ifa); RTA_OK(at, len); at = RTA_NEXT(at, len)) {
        size_t k = RTA_PAYLOAD(at);
        if (at->rta_type == IFA_FLAGS && k == 4) memcpy(&a.flags, RTA_DATA(at), 4);
        if (k > 16) continue;
        if (at->rta_type == IFA_LOCAL) memcpy(a.local, RTA_DATA(at), k), a.local_len = (uint8_t)k;
        if (at->rta_type == IFA_ADDRESS) memcpy(a.address, RTA_DATA(at), k), a.address_len = (uint8_t)k;
      }
      if (!(a.flags & IFA_F_PERMANENT)) continue;
      saved_addr* grown = (saved_addr*)realloc(d->addrs, (d->n_addrs + 1) * sizeof *grown);
      if (!grown) die(0, "out of memory");
      d->addrs = grown;
      d->addrs[d->n_addrs++] = a;
    }
  }
}

} // namespace

void net_devices_prepare(const plan* p) {
  if (!p->n_net_devices) return;
  g_devs = (dev_state*)calloc(p->n_net_devices, sizeof *g_devs);
  if (!g_devs) die(0, "out of memory");
  int fd = nl_open();
  for (size_t i = 0; i < p->n_net_devices; i++) {
    const char* host = p->net_devices[i].host;
    g_devs[i].ifindex = (int)if_nametoindex(host);
    if (!g_devs[i].ifindex) die(errno, "network device %s", host);
    save_addrs(fd, host, &g_devs[i]);
  }
  close(fd);
}

void net_devices_move(const plan* p, long pid) {
  if (!p->n_net_devices) return;
  int fd = nl_open();
  for (size_t i = 0; i < p->n_net_devices; i++) {
    const plan_net_device* d = &p->net_devices[i];
    msg m;
    new_link(&m, g_devs[i].ifindex);
    uint32_t target = (uint32_t)pid;
    add_attr(&m.h, IFLA_NET_NS_PID, &target, sizeof target);
    add_attr(&m.h, IFLA_IFNAME, d->name, strlen(d->name) + 1);
    if (int e = -nl_request(fd, &m.h)) {
      // B was born already and would go on alone: it must not outlive us.
      kill((pid_t)pid, SIGKILL);
      die(e, "move network device %s into the container as %s", d->host, d->name);
    }
  }
  close(fd);
}

void net_devices_configure(const plan* p) {
  if (!p->n_net_devices) return;
  int fd = nl_open();
  for (size_t i = 0; i < p->n_net_devices; i++) {
    const plan_net_device* d = &p->net_devices[i];
    // A "%d" template leaves the final name to the kernel; the index is
    // kept across the move unless the new namespace already uses it.
    int idx = strstr(d->name, "%d") ? g_devs[i].ifindex : (int)if_nametoindex(d->name);
    if (idx <= 0) die(errno, "network device %s in the container", d->name);
    for (size_t k = 0; k < g_devs[i].n_addrs; k++) {
      const saved_addr* a = &g_devs[i].addrs[k];
      msg m;
      ifaddrmsg* ifa = (ifaddrmsg*)nl_start(&m, RTM_NEWADDR, sizeof *ifa);
      m.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
      ifa->ifa_family = a->family, ifa->ifa_prefixlen = a->prefixlen, ifa->ifa_scope = a->scope;
      ifa->ifa_index = (uint32_t)idx;
      if (a->local_len) add_attr(&m.h, IFA_LOCAL, a->local, a->local_len);
      if (a->address_len) add_attr(&m.h, IFA_ADDRESS, a->address, a->address_len);
      // Flags a user may set (nodad etc.); the kernel decides the rest.
      uint32_t fl =
          a->flags & (IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE | IFA_F_MCAUTOJOIN);
      ifa->ifa_flags = (uint8_t)fl;
      if (fl) add_attr(&m.h, IFA_FLAGS, &fl, sizeof fl);
      if (int e = -nl_request(fd, &m.h)) die(e, "network device %s: restore an address", d->name);
    }
    msg m;
    ifinfomsg* ifi = new_link(&m, idx);
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    if (int e = -nl_request(fd, &m.h)) die(e, "network device %s: set up", d->name);
  }
  close(fd);
}
