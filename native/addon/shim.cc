// Helpers for the shim (containerd-shim-carton-v2), which drives containers
// in-process:
// - mount(2) and umount2(2): containerd hands Create the container's rootfs
//   as mounts (overlay, bind) to put on <bundle>/rootfs. TypeScript parses
//   containerd's options into flags and data; this only makes the calls.
// (A container's stdio from the shim's fifos is spawnInit's `stdio` argument.)
#include <napi.h>

#include "errno_error.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <string>

namespace {

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

}  // namespace

void RegisterShim(Napi::Env env, Napi::Object exports) {
  exports.Set("mount", Napi::Function::New(env, Mount));
  exports.Set("umount2", Napi::Function::New(env, Umount2));
}
