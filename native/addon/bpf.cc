// bpf(2) helpers for the cgroup v2 device controller, which is an eBPF
// BPF_PROG_TYPE_CGROUP_DEVICE program attached to the container's cgroup.
// The program's instructions are generated (and unit-tested) in TypeScript
// (src/cgroups/v2/devices.ts); this file only loads and attaches them.
#include <napi.h>

#include "errno_error.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

long Bpf(int cmd, union bpf_attr* attr) { return syscall(__NR_bpf, cmd, attr, sizeof(*attr)); }

// Program ids attached to the cgroup as BPF_CGROUP_DEVICE.
bool Query(int cg, std::vector<__u32>* ids) {
  ids->assign(64, 0);
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.query.target_fd = cg;
  a.query.attach_type = BPF_CGROUP_DEVICE;
  a.query.prog_ids = (__u64)(uintptr_t)ids->data();
  a.query.prog_cnt = ids->size();
  if (Bpf(BPF_PROG_QUERY, &a) < 0) return false;
  ids->resize(a.query.prog_cnt);
  return true;
}

// bpfDeviceInstall(cgroupDir, insns): load the program, attach it with
// BPF_F_ALLOW_MULTI, then detach the device programs that were there before
// (an update), so there is never a moment without one. Returns how many old
// programs were replaced.
Napi::Value Install(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir = info[0].As<Napi::String>();
  Napi::Buffer<uint8_t> insns = info[1].As<Napi::Buffer<uint8_t>>();
  static char log[4096];
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = (__u64)(uintptr_t)insns.Data();
  a.insn_cnt = insns.Length() / sizeof(struct bpf_insn);
  a.license = (__u64)(uintptr_t) "Apache";
  int prog = Bpf(BPF_PROG_LOAD, &a);
  if (prog < 0) {
    // Load again with the verifier's log, only to say why.
    int e = errno;
    a.log_buf = (__u64)(uintptr_t)log;
    a.log_size = sizeof(log);
    a.log_level = 1;
    log[0] = 0;
    Bpf(BPF_PROG_LOAD, &a);
    std::string l(log);
    for (auto& c : l)
      if (c == '\n') c = ' ';
    return Fail(env, "bpf(BPF_PROG_LOAD) device filter" + (l.empty() ? "" : " [" + l.substr(0, 200) + "]"), e);
  }
  int cg = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg < 0) {
    int e = errno;
    close(prog);
    return Fail(env, "open " + dir, e);
  }
  std::vector<__u32> old;
  if (!Query(cg, &old)) old.clear();
  memset(&a, 0, sizeof(a));
  a.target_fd = cg;
  a.attach_bpf_fd = prog;
  a.attach_type = BPF_CGROUP_DEVICE;
  a.attach_flags = BPF_F_ALLOW_MULTI;
  if (Bpf(BPF_PROG_ATTACH, &a) < 0) {
    int e = errno;
    close(prog);
    close(cg);
    return Fail(env, "bpf(BPF_PROG_ATTACH) to " + dir, e);
  }
  close(prog);
  for (__u32 id : old) {
    memset(&a, 0, sizeof(a));
    a.prog_id = id;
    int fd = Bpf(BPF_PROG_GET_FD_BY_ID, &a);
    if (fd < 0) continue;
    memset(&a, 0, sizeof(a));
    a.target_fd = cg;
    a.attach_bpf_fd = fd;
    a.attach_type = BPF_CGROUP_DEVICE;
    Bpf(BPF_PROG_DETACH, &a);
    close(fd);
  }
  close(cg);
  return Napi::Number::New(env, old.size());
}

// bpfDeviceCount(cgroupDir): how many device programs are attached (for tests and `features`).
Napi::Value Count(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir = info[0].As<Napi::String>();
  int cg = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg < 0) return Fail(env, "open " + dir, errno);
  std::vector<__u32> ids;
  bool ok = Query(cg, &ids);
  int e = errno;
  close(cg);
  if (!ok) return Fail(env, "bpf(BPF_PROG_QUERY) " + dir, e);
  return Napi::Number::New(env, ids.size());
}

} // namespace

void RegisterBpf(Napi::Env env, Napi::Object exports) {
  exports.Set("bpfDeviceInstall", Napi::Function::New(env, Install));
  exports.Set("bpfDeviceCount", Napi::Function::New(env, Count));
}
