// compileSeccomp: linux.seccomp -> a classic BPF program, with libseccomp.
// TypeScript has already validated the config and turned every name it
// could into a number; what is left here is what only libseccomp knows: the
// syscall numbers per architecture and the BPF code generation. Nothing is
// loaded into this process: the program goes into the plan, and carton-init
// installs it with seccomp(2) (keeping carton-init static and libseccomp-free).
#include <napi.h>

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

namespace {

Napi::Value Throw(Napi::Env env, const std::string& msg) {
  Napi::Error::New(env, msg).ThrowAsJavaScriptException();
  return env.Undefined();
}

std::string Errno(int rc) { return strerror(rc < 0 ? -rc : rc); }

// The exported program, read back from a memfd (libseccomp 2.5 can only
// export to an fd).
bool Export(scmp_filter_ctx ctx, std::vector<uint8_t>* out, std::string* err) {
  int fd = memfd_create("carton-seccomp", MFD_CLOEXEC);
  if (fd < 0) {
    *err = "memfd_create: " + Errno(errno);
    return false;
  }
  int rc = seccomp_export_bpf(ctx, fd);
  if (rc < 0) {
    *err = "export BPF: " + Errno(rc);
    close(fd);
    return false;
  }
  off_t len = lseek(fd, 0, SEEK_END);
  out->resize((size_t)len);
  size_t off = 0;
  while (off < out->size()) {
    ssize_t n = pread(fd, out->data() + off, out->size() - off, (off_t)off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *err = "read BPF: " + Errno(n < 0 ? errno : EIO);
      close(fd);
      return false;
    }
    off += (size_t)n;
  }
  close(fd);
  return true;
}

// The ENOSYS stub (what runc's patchbpf prepends; written from its
// description): per architecture the profile lists, a syscall numbered above
// the largest one the profile names is newer than the profile, and returns
// ENOSYS before libseccomp's filter can give it the default action. x86_64
// and x32 share AUDIT_ARCH_X86_64; x32 numbers have bit 30 set.
constexpr uint32_t kX32Bit = 0x40000000;

struct StubArch {
  int64_t max64 = -1;  // the native ABI's largest named syscall, -1 = none
  int64_t maxX32 = -1; // x32's (with kX32Bit), -1 = none
};

void StubFor(std::vector<sock_filter>* p, std::vector<size_t>* toFilter, uint32_t audit, const StubArch& a) {
  auto I = [p](uint16_t code, uint8_t jt, uint8_t jf, uint32_t k) { p->push_back(sock_filter{code, jt, jf, k}); };
  const uint16_t JGT = BPF_JMP | BPF_JGT | BPF_K, JSET = BPF_JMP | BPF_JSET | BPF_K;
  size_t jeq = p->size() + 1;
  I(BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
  I(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, audit); // jf: to the next architecture, set below
  I(BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
  if (audit == AUDIT_ARCH_X86_64 && a.max64 >= 0 && a.maxX32 >= 0) {
    I(JSET, 1, 0, kX32Bit);           // x32: to its own comparison
    I(JGT, 1, 2, (uint32_t)a.max64);  // -> ENOSYS | -> filter
    I(JGT, 0, 1, (uint32_t)a.maxX32); // -> ENOSYS | -> filter
  } else if (audit == AUDIT_ARCH_X86_64) {
    bool x32 = a.maxX32 >= 0; // the other ABI goes straight to the filter
    I(JSET, x32 ? 0 : 2, x32 ? 2 : 0, kX32Bit);
    I(JGT, 0, 1, (uint32_t)(x32 ? a.maxX32 : a.max64));
  } else {
    I(JGT, 0, 1, (uint32_t)a.max64);
  }
  I(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | ENOSYS);
  I(BPF_JMP | BPF_JA, 0, 0, 0); // to the filter, set once the stub's length is known
  toFilter->push_back(p->size() - 1);
  (*p)[jeq].jf = (uint8_t)(p->size() - jeq - 1);
}

// Empty when no listed architecture knows any of the names.
void EnosysStub(Napi::Array arches, Napi::Array names, std::vector<sock_filter>* out) {
  std::map<uint32_t, StubArch> byAudit;
  for (uint32_t i = 0; i < arches.Length(); i++) {
    std::string arch = arches.Get(i).As<Napi::String>();
    uint32_t token = seccomp_arch_resolve_name(arch.c_str());
    bool x32 = token == SCMP_ARCH_X32; // libseccomp's own token, not an AUDIT_ARCH value
    int64_t max = -1;
    for (uint32_t j = 0; j < names.Length(); j++) {
      std::string name = names.Get(j).As<Napi::String>();
      int nr = seccomp_syscall_resolve_name_arch(token, name.c_str());
      if (nr < 0) continue; // unknown here, or a pseudo-syscall of another architecture
      if (x32) nr |= (int)kX32Bit;
      if (nr > max) max = nr;
    }
    if (max < 0) continue;
    StubArch& a = byAudit[x32 ? AUDIT_ARCH_X86_64 : token];
    (x32 ? a.maxX32 : a.max64) = max;
  }
  std::vector<size_t> toFilter;
  for (const auto& [audit, a] : byAudit) StubFor(out, &toFilter, audit, a);
  for (size_t i : toFilter) out->at(i).k = (uint32_t)(out->size() - i - 1);
}

} // namespace

// compileSeccomp({ defaultAction: u32, arches: string[], rules: [{ name,
//   action: u32, where, args: [{ index, op, a: bigint, b: bigint }] }],
//   enosysNames?: string[] })  (with enosysNames: the ENOSYS stub first)
//   -> { program: Buffer, skipped: string[] }
// Every rule is one seccomp_rule_add (its args ANDed); TypeScript has split
// rules that need OR semantics. Unknown syscall names are skipped, as runc
// does, and reported back so the CLI can log them.
Napi::Value SeccompCompile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object cfg = info[0].As<Napi::Object>();
  uint32_t def = cfg.Get("defaultAction").As<Napi::Number>().Uint32Value();
  scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx) return Throw(env, "seccomp_init: invalid default action");
  struct Guard {
    scmp_filter_ctx c;
    ~Guard() { seccomp_release(c); }
  } guard{ctx};
  // The program is installed by carton-init, which handles no_new_privs
  // itself; libseccomp must not add anything the export would not carry.
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);

  Napi::Array arches = cfg.Get("arches").As<Napi::Array>();
  for (uint32_t i = 0; i < arches.Length(); i++) {
    std::string name = arches.Get(i).As<Napi::String>();
    uint32_t token = seccomp_arch_resolve_name(name.c_str());
    if (!token) return Throw(env, "architecture " + name + " is not known to libseccomp");
    int rc = seccomp_arch_add(ctx, token);
    if (rc < 0 && rc != -EEXIST) return Throw(env, "add architecture " + name + ": " + Errno(rc));
  }

  Napi::Array skipped = Napi::Array::New(env);
  Napi::Array rules = cfg.Get("rules").As<Napi::Array>();
  for (uint32_t i = 0; i < rules.Length(); i++) {
    Napi::Object r = rules.Get(i).As<Napi::Object>();
    std::string name = r.Get("name").As<Napi::String>();
    std::string where = r.Get("where").As<Napi::String>();
    uint32_t action = r.Get("action").As<Napi::Number>().Uint32Value();
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) {
      skipped.Set(skipped.Length(), Napi::String::New(env, name));
      continue;
    }
    Napi::Array args = r.Get("args").As<Napi::Array>();
    std::vector<scmp_arg_cmp> cmps;
    for (uint32_t j = 0; j < args.Length(); j++) {
      Napi::Object a = args.Get(j).As<Napi::Object>();
      bool exactA = true, exactB = true;
      scmp_arg_cmp c;
      c.arg = a.Get("index").As<Napi::Number>().Uint32Value();
      c.op = (scmp_compare)a.Get("op").As<Napi::Number>().Uint32Value();
      c.datum_a = a.Get("a").As<Napi::BigInt>().Uint64Value(&exactA);
      c.datum_b = a.Get("b").As<Napi::BigInt>().Uint64Value(&exactB);
      // A negative or >= 2^64 BigInt would wrap (2^64 became 0): never compile it.
      if (!exactA || !exactB) return Throw(env, where + ": syscall " + name + ": argument value is not a uint64");
      cmps.push_back(c);
    }
    int rc = seccomp_rule_add_array(ctx, action, nr, (unsigned)cmps.size(), cmps.empty() ? nullptr : cmps.data());
    if (rc < 0) return Throw(env, where + ": syscall " + name + ": " + Errno(rc));
  }

  std::vector<uint8_t> prog;
  std::string err;
  Napi::Value names = cfg.Get("enosysNames");
  if (names.IsArray()) {
    std::vector<sock_filter> stub;
    EnosysStub(arches, names.As<Napi::Array>(), &stub);
    const uint8_t* b = reinterpret_cast<const uint8_t*>(stub.data());
    prog.assign(b, b + stub.size() * sizeof(sock_filter));
  }
  std::vector<uint8_t> filter;
  if (!Export(ctx, &filter, &err)) return Throw(env, err);
  prog.insert(prog.end(), filter.begin(), filter.end());
  Napi::Object out = Napi::Object::New(env);
  out.Set("program", Napi::Buffer<uint8_t>::Copy(env, prog.data(), prog.size()));
  out.Set("skipped", skipped);
  return out;
}
