// compileSeccomp: linux.seccomp -> a classic BPF program, with libseccomp.
// TypeScript has already validated the config and turned every name it
// could into a number; what is left here is what only libseccomp knows: the
// syscall numbers per architecture and the BPF code generation. Nothing is
// loaded into this process: the program goes into the plan, and carton-init
// installs it with seccomp(2) (keeping carton-init static and libseccomp-free).
#include <napi.h>

#include <errno.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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
  if (fd < 0) { *err = "memfd_create: " + Errno(errno); return false; }
  int rc = seccomp_export_bpf(ctx, fd);
  if (rc < 0) { *err = "export BPF: " + Errno(rc); close(fd); return false; }
  off_t len = lseek(fd, 0, SEEK_END);
  out->resize((size_t)len);
  size_t off = 0;
  while (off < out->size()) {
    ssize_t n = pread(fd, out->data() + off, out->size() - off, (off_t)off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) { *err = "read BPF: " + Errno(n < 0 ? errno : EIO); close(fd); return false; }
    off += (size_t)n;
  }
  close(fd);
  return true;
}

}  // namespace

// compileSeccomp({ defaultAction: u32, arches: string[], rules: [{ name,
//   action: u32, where, args: [{ index, op, a: bigint, b: bigint }] }] })
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
  struct Guard { scmp_filter_ctx c; ~Guard() { seccomp_release(c); } } guard{ctx};
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
  if (!Export(ctx, &prog, &err)) return Throw(env, err);
  Napi::Object out = Napi::Object::New(env);
  out.Set("program", Napi::Buffer<uint8_t>::Copy(env, prog.data(), prog.size()));
  out.Set("skipped", skipped);
  return out;
}
