// Helpers for the shim (containerd-shim-carton-v2), which drives containers
// in-process:
// - mount(2) and umount2(2): containerd hands Create the container's rootfs
//   as mounts (overlay, bind) to put on <bundle>/rootfs. TypeScript parses
//   containerd's options into flags and data; this only makes the calls.
// - withStdio: carton-init inherits its 0-2 from us (spawnInit), so a
//   container or exec gets the shim's fifos by having them on our 0-2 for
//   the length of one synchronous launch. Nothing else can run on the JS
//   thread meanwhile, and ours are back before it returns or throws.
#include <napi.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <string>

namespace {

Napi::Value Fail(Napi::Env env, const std::string& what, int err) {
  Napi::Error e = Napi::Error::New(env, what + ": " + strerror(err));
  const char* name = strerrorname_np(err);
  e.Set("code", Napi::String::New(env, name ? name : "EUNKNOWN"));
  e.Set("errno", Napi::Number::New(env, err));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

// mount(source, target, fstype, flags, data)
Napi::Value Mount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string src = info[0].As<Napi::String>();
  std::string target = info[1].As<Napi::String>();
  std::string fstype = info[2].As<Napi::String>();
  unsigned long flags = (unsigned long)info[3].As<Napi::Number>().Int64Value();
  std::string data = info[4].As<Napi::String>();
  if (mount(src.c_str(), target.c_str(), fstype.empty() ? nullptr : fstype.c_str(), flags,
            data.empty() ? nullptr : data.c_str()) < 0)
    return Fail(env, "mount " + src + " to " + target, errno);
  return env.Undefined();
}

// umount2(target, flags)
Napi::Value Umount2(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string target = info[0].As<Napi::String>();
  if (umount2(target.c_str(), info[1].As<Napi::Number>().Int32Value()) < 0)
    return Fail(env, "unmount " + target, errno);
  return env.Undefined();
}

// withStdio(fds: number[3], fn) -> fn()'s result, called with fds[i] on our fd i.
Napi::Value WithStdio(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array fds = info[0].As<Napi::Array>();
  Napi::Function fn = info[1].As<Napi::Function>();
  int want[3], saved[3] = {-1, -1, -1};
  for (int i = 0; i < 3; i++) want[i] = fds.Get((uint32_t)i).As<Napi::Number>().Int32Value();
  // Our own 0-2 are kept above 2 (close-on-exec, so no spawn inherits them).
  for (int i = 0; i < 3; i++) {
    saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
    if (saved[i] < 0 && errno != EBADF) {
      int err = errno;
      for (int j = 0; j < i; j++) if (saved[j] >= 0) close(saved[j]);
      return Fail(env, "save stdio", err);
    }
  }
  int err = 0;
  for (int i = 0; i < 3 && !err; i++) {
    if (want[i] != i && dup2(want[i], i) < 0) err = errno;
  }
  Napi::Value out = err ? env.Undefined() : fn.Call({});
  for (int i = 0; i < 3; i++) {
    if (saved[i] >= 0) {
      dup2(saved[i], i);
      close(saved[i]);
    } else {
      close(i);
    }
  }
  if (err) return Fail(env, "dup2 stdio", err);
  return out;  // empty with fn's exception pending: it propagates
}

}  // namespace

void RegisterShim(Napi::Env env, Napi::Object exports) {
  exports.Set("mount", Napi::Function::New(env, Mount));
  exports.Set("umount2", Napi::Function::New(env, Umount2));
  exports.Set("withStdio", Napi::Function::New(env, WithStdio));
}
