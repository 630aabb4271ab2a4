// Helpers for the shim (containerd-shim-carton-v2), which drives containers
// in-process:
// - mount(2) and umount2(2): containerd hands Create the container's rootfs
//   as mounts (overlay, bind) to put on <bundle>/rootfs. TypeScript parses
//   containerd's options into flags and data; this only makes the calls.
// - peerCred(fd): SO_PEERCRED of a connected unix socket, so the shim can
//   refuse connections from anyone but root and its own user.
// (A container's stdio from the shim's fifos is spawnInit's `stdio` argument.)
#include <napi.h>

#include "errno_error.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
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

// peerCred(fd) -> { pid, uid, gid } of the process that connected (as of connect).
Napi::Value PeerCred(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct ucred c;
  socklen_t len = sizeof c;
  if (getsockopt(info[0].As<Napi::Number>().Int32Value(), SOL_SOCKET, SO_PEERCRED, &c, &len) < 0)
    return Fail(env, "getsockopt SO_PEERCRED", errno);
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, c.pid));
  out.Set("uid", Napi::Number::New(env, c.uid));
  out.Set("gid", Napi::Number::New(env, c.gid));
  return out;
}

} // namespace

void RegisterShim(Napi::Env env, Napi::Object exports) {
  exports.Set("mount", Napi::Function::New(env, Mount));
  exports.Set("umount2", Napi::Function::New(env, Umount2));
  exports.Set("peerCred", Napi::Function::New(env, PeerCred));
}
