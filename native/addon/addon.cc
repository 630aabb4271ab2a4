// The carton Node addon: small fd-level helpers that Node itself lacks.
// It holds no container logic. Node never enters a container namespace and
// never forks without exec: spawnInit (spawn.cc) uses clone3
// (spawn_cgroup.cc) or posix_spawn to start carton-init from a sealed memfd
// copy, and everything here is a thin syscall wrapper.
#include <napi.h>

#include "../common/scm.h"
#include "errno_error.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

void RegisterBpf(Napi::Env env, Napi::Object exports);      // bpf.cc: cgroup v2 device programs
void RegisterShim(Napi::Env env, Napi::Object exports);     // shim.cc: rootfs mounts, stdio for a spawn
Napi::Value SeccompCompile(const Napi::CallbackInfo& info); // seccomp.cc
Napi::Value SpawnInit(const Napi::CallbackInfo& info);      // spawn.cc: carton-init from a sealed memfd

namespace {

// socketPair(seqpacket: boolean) -> [a, b], both CLOEXEC.
Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int type = info[0].ToBoolean() ? SOCK_SEQPACKET : SOCK_STREAM;
  int sp[2];
  if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sp) < 0) return Fail(env, "socketpair", errno);
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, Napi::Number::New(env, sp[0]));
  a.Set(1u, Napi::Number::New(env, sp[1]));
  return a;
}

// connectUnix(path) -> fd. Used for --console-socket: the caller's listening
// socket is connected on the host side and the fd handed to init.
Napi::Value ConnectUnix(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) return Fail(env, "connect " + path, ENAMETOOLONG);
  memcpy(sa.sun_path, path.data(), path.size());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(env, "socket", errno);
  if (connect(fd, (struct sockaddr*)&sa, sizeof sa) < 0) {
    int e = errno;
    close(fd);
    return Fail(env, "connect " + path, e);
  }
  return Napi::Number::New(env, fd);
}

// recvFd(sock) -> fd: one message with one SCM_RIGHTS fd (the pty master).
Napi::Value RecvFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  char data[4096];
  int fd;
  ssize_t n = scm_recv_fd(info[0].As<Napi::Number>().Int32Value(), data, sizeof data, &fd);
  if (n < 0) return Fail(env, "recvmsg", (int)-n);
  if (fd < 0) return Fail(env, "recvmsg: no fd received", EBADMSG);
  return Napi::Number::New(env, fd);
}

Napi::Value Mkfifo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  int mode = info[1].As<Napi::Number>().Int32Value();
  if (mkfifo(path.c_str(), mode) < 0) return Fail(env, "mkfifo " + path, errno);
  return env.Undefined();
}

// flock(fd, exclusive, nonblocking) -> bool (false when nonblocking and busy).
Napi::Value Flock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int op = info[1].ToBoolean() ? LOCK_EX : LOCK_SH;
  if (info[2].ToBoolean()) op |= LOCK_NB;
  int r;
  do r = flock(fd, op);
  while (r < 0 && errno == EINTR);
  if (r < 0) {
    if (errno == EWOULDBLOCK) return Napi::Boolean::New(env, false);
    return Fail(env, "flock", errno);
  }
  return Napi::Boolean::New(env, true);
}

Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pid = info[0].As<Napi::Number>().Int32Value();
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) return Fail(env, "pidfd_open " + std::to_string(pid), errno);
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  return Napi::Number::New(env, fd);
}

Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int sig = info[1].As<Napi::Number>().Int32Value();
  if (syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0) < 0) return Fail(env, "pidfd_send_signal", errno);
  return env.Undefined();
}

// pollIn(fd, timeoutMs) -> bool: readable (for a pidfd: the process exited).
Napi::Value PollIn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct pollfd p = {info[0].As<Napi::Number>().Int32Value(), POLLIN, 0};
  int timeout = info[1].As<Napi::Number>().Int32Value();
  int r;
  do r = poll(&p, 1, timeout);
  while (r < 0 && errno == EINTR);
  if (r < 0) return Fail(env, "poll", errno);
  return Napi::Boolean::New(env, r > 0);
}

// pollEvents(fd, events, timeoutMs) -> revents (0 on timeout). `start`
// waits for POLLERR on its write end of the exec fifo: no reader is left
// once the container's init has exec'd or exited.
Napi::Value PollEvents(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct pollfd p = {info[0].As<Napi::Number>().Int32Value(), (short)info[1].As<Napi::Number>().Int32Value(), 0};
  int timeout = info[2].As<Napi::Number>().Int32Value();
  int r;
  do r = poll(&p, 1, timeout);
  while (r < 0 && errno == EINTR);
  if (r < 0) return Fail(env, "poll", errno);
  return Napi::Number::New(env, r > 0 ? p.revents : 0);
}

Napi::Object Status(Napi::Env env, int status) {
  Napi::Object o = Napi::Object::New(env);
  if (WIFEXITED(status)) {
    o.Set("code", Napi::Number::New(env, WEXITSTATUS(status)));
    o.Set("signal", Napi::Number::New(env, 0));
  } else {
    o.Set("code", Napi::Number::New(env, 128 + WTERMSIG(status)));
    o.Set("signal", Napi::Number::New(env, WTERMSIG(status)));
  }
  return o;
}

// waitPid(pid, nohang) -> {code, signal} | null (still running, with nohang).
Napi::Value WaitPid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pid = info[0].As<Napi::Number>().Int32Value();
  int flags = info[1].ToBoolean() ? WNOHANG : 0;
  int status = 0;
  pid_t r;
  do r = waitpid(pid, &status, flags);
  while (r < 0 && errno == EINTR);
  if (r < 0) return Fail(env, "waitpid " + std::to_string(pid), errno);
  if (r == 0) return env.Null();
  return Status(env, status);
}

// waitPidAsync(pid) -> Promise<{code, signal}>: a foreground run waits on a
// worker thread, so the event loop stays free to forward signals and stdio.
class WaitWorker : public Napi::AsyncWorker {
 public:
  WaitWorker(Napi::Env env, int pid) : Napi::AsyncWorker(env), pid_(pid), d_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return d_.Promise(); }
  void Execute() override {
    pid_t r;
    do r = waitpid(pid_, &status_, 0);
    while (r < 0 && errno == EINTR);
    err_ = r < 0 ? errno : 0;
  }
  void OnOK() override {
    if (err_) {
      d_.Reject(Napi::Error::New(Env(), std::string("waitpid: ") + strerror(err_)).Value());
    } else {
      d_.Resolve(Status(Env(), status_));
    }
  }

 private:
  int pid_, status_ = 0, err_ = 0;
  Napi::Promise::Deferred d_;
};

Napi::Value WaitPidAsync(const Napi::CallbackInfo& info) {
  auto* w = new WaitWorker(info.Env(), info[0].As<Napi::Number>().Int32Value());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value SetSubreaper(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (prctl(PR_SET_CHILD_SUBREAPER, info[0].ToBoolean() ? 1 : 0, 0, 0, 0) < 0)
    return Fail(env, "prctl(PR_SET_CHILD_SUBREAPER)", errno);
  return env.Undefined();
}

// setWinsize(fd, rows, cols): a foreground run's pty follows our terminal.
Napi::Value SetWinsize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct winsize ws;
  memset(&ws, 0, sizeof ws);
  ws.ws_row = (unsigned short)info[1].As<Napi::Number>().Uint32Value();
  ws.ws_col = (unsigned short)info[2].As<Napi::Number>().Uint32Value();
  if (ioctl(info[0].As<Napi::Number>().Int32Value(), TIOCSWINSZ, &ws) < 0) return Fail(env, "ioctl(TIOCSWINSZ)", errno);
  return env.Undefined();
}

// recvMsg(sock) -> { data: Buffer, fd: number } (fd -1 when the message
// carried none): init's seccomp listener fd arrives this way, and an 'E' in
// its place must still be read as text.
Napi::Value RecvMsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  char data[8192];
  int fd;
  ssize_t n = scm_recv_fd(info[0].As<Napi::Number>().Int32Value(), data, sizeof data, &fd);
  if (n < 0) return Fail(env, "recvmsg", (int)-n);
  Napi::Object o = Napi::Object::New(env);
  o.Set("data", Napi::Buffer<char>::Copy(env, data, (size_t)n));
  o.Set("fd", Napi::Number::New(env, fd));
  return o;
}

// sendFd(sock, fd, data: Buffer): one sendmsg carrying data and fd
// (SCM_RIGHTS), or the data alone when fd < 0. Returns the bytes of data sent; the caller writes the rest.
Napi::Value SendFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sock = info[0].As<Napi::Number>().Int32Value();
  int fd = info[1].As<Napi::Number>().Int32Value();
  Napi::Buffer<char> data = info[2].As<Napi::Buffer<char>>();
  // fd < 0: the data alone (the keeper's drop messages, src/shim/keeper.ts).
  ssize_t n = fd >= 0 ? scm_send_fd(sock, fd, data.Data(), data.Length())
                      : send(sock, data.Data(), data.Length(), MSG_NOSIGNAL);
  if (n < 0) return Fail(env, "sendmsg", fd >= 0 ? (int)-n : errno);
  return Napi::Number::New(env, (double)n);
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  close(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("spawnInit", Napi::Function::New(env, SpawnInit));
  exports.Set("socketPair", Napi::Function::New(env, SocketPair));
  exports.Set("connectUnix", Napi::Function::New(env, ConnectUnix));
  exports.Set("recvFd", Napi::Function::New(env, RecvFd));
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo));
  exports.Set("flock", Napi::Function::New(env, Flock));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal));
  exports.Set("pollIn", Napi::Function::New(env, PollIn));
  exports.Set("pollEvents", Napi::Function::New(env, PollEvents));
  exports.Set("waitPid", Napi::Function::New(env, WaitPid));
  exports.Set("waitPidAsync", Napi::Function::New(env, WaitPidAsync));
  exports.Set("setSubreaper", Napi::Function::New(env, SetSubreaper));
  exports.Set("setWinsize", Napi::Function::New(env, SetWinsize));
  exports.Set("close", Napi::Function::New(env, Close));
  RegisterBpf(env, exports);
  RegisterShim(env, exports);
  exports.Set("recvMsg", Napi::Function::New(env, RecvMsg));
  exports.Set("sendFd", Napi::Function::New(env, SendFd));
  exports.Set("compileSeccomp", Napi::Function::New(env, SeccompCompile));
  return exports;
}

} // namespace

NODE_API_MODULE(carton, Init)
