// The carton Node addon: small fd-level helpers that Node itself lacks.
// It holds no container logic. Node never enters a container namespace and
// never forks without exec: spawnInit uses clone3 (spawn_cgroup.cc) or
// posix_spawn to start carton-init from a sealed memfd copy, and everything
// else is a thin syscall wrapper.
#include <napi.h>

#include "errno_error.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "spawn_cgroup.h"

void RegisterBpf(Napi::Env env, Napi::Object exports);  // bpf.cc: cgroup v2 device programs
void RegisterShim(Napi::Env env, Napi::Object exports);  // shim.cc: rootfs mounts, stdio for a spawn
Napi::Value SeccompCompile(const Napi::CallbackInfo& info);  // seccomp.cc

namespace {


// A sealed, executable memfd copy of carton-init. Executing the copy (not
// the file on disk) means a container that gets hold of /proc/<pid>/exe can
// neither rewrite the runtime binary on the host nor the copy (CVE-2019-5736).
int SealedCopy(const char* path, int* err) {
  int src = open(path, O_RDONLY | O_CLOEXEC);
  if (src < 0) { *err = errno; return -1; }
  struct stat st;
  if (fstat(src, &st) < 0) { *err = errno; close(src); return -1; }
  int mfd = memfd_create("carton-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) { *err = errno; close(src); return -1; }
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(mfd, src, &off, st.st_size - off);
    if (n <= 0) { *err = n < 0 ? errno : EIO; close(src); close(mfd); return -1; }
  }
  close(src);
  if (fchmod(mfd, 0555) < 0 ||
      fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
    *err = errno; close(mfd); return -1;
  }
  return mfd;
}

int PlanMemfd(const uint8_t* data, size_t len, int* err) {
  int fd = memfd_create("carton-plan", MFD_CLOEXEC);
  if (fd < 0) { *err = errno; return -1; }
  size_t off = 0;
  while (off < len) {
    ssize_t n = write(fd, data + off, len - off);
    if (n < 0) { if (errno == EINTR) continue; *err = errno; close(fd); return -1; }
    off += n;
  }
  if (lseek(fd, 0, SEEK_SET) < 0) { *err = errno; close(fd); return -1; }
  return fd;
}

void CloseInheritable(posix_spawn_file_actions_t* fa, int from) {
  for (int fd : InheritableFds(from)) posix_spawn_file_actions_addclose(fa, fd);
}

// spawnInit(initPath, plan: Buffer, fds: number[], cgroup2Dir?: string, stdio?: number[3])
//   -> { pid, sync, via: "clone3" | "posix_spawn", fallback?: errno name }
// The child's table is exactly: 0,1,2 inherited, or stdio[i] at i (the
// shim's fifos: the shim's own 0-2 are never touched); fds[i] at 3+i; the
// plan at 3+n; its end of the sync socketpair at 4+n. Everything else is CLOEXEC.
// With cgroup2Dir, init is born in that cgroup (spawn_cgroup.cc), unless
// the kernel cannot do it: then posix_spawn, and the caller moves it.
Napi::Value SpawnInit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  Napi::Buffer<uint8_t> plan = info[1].As<Napi::Buffer<uint8_t>>();
  Napi::Array arr = info[2].As<Napi::Array>();
  std::vector<int> want;
  for (uint32_t i = 0; i < arr.Length(); i++) want.push_back(arr.Get(i).As<Napi::Number>().Int32Value());
  std::string cgDir = info.Length() > 3 && info[3].IsString() ? info[3].As<Napi::String>().Utf8Value() : "";
  bool ownStdio = info.Length() > 4 && info[4].IsArray();
  int stdioWant[3] = {0, 1, 2};
  if (ownStdio) {
    Napi::Array st = info[4].As<Napi::Array>();
    for (uint32_t i = 0; i < 3; i++) stdioWant[i] = st.Get(i).As<Napi::Number>().Int32Value();
  }
  std::string via = "posix_spawn", fallback, failWhat = "spawn carton-init";

  int err = 0;
  int exe = SealedCopy(path.c_str(), &err);
  if (exe < 0) return Fail(env, "copy " + path + " to a sealed memfd", err);
  int planfd = PlanMemfd(plan.Data(), plan.Length(), &err);
  if (planfd < 0) { close(exe); return Fail(env, "plan memfd", err); }
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
    err = errno; close(exe); close(planfd); return Fail(env, "socketpair", err);
  }
  want.push_back(planfd);
  want.push_back(sp[1]);
  int n = (int)want.size();
  // Move every source above the target range first, so that dup2 onto a
  // target can never clobber a source that is still to be placed.
  std::vector<int> high(n, -1);
  bool ok = true;
  for (int i = 0; i < n && ok; i++) {
    high[i] = fcntl(want[i], F_DUPFD_CLOEXEC, 3 + n);
    if (high[i] < 0) { err = errno; ok = false; }
  }
  // The memfd's own number must stay clear of the targets too.
  int exeHigh = ok ? fcntl(exe, F_DUPFD_CLOEXEC, 3 + n) : -1;
  if (ok && exeHigh < 0) { err = errno; ok = false; }
  // stdio sources likewise (without `stdio` the child keeps 0-2 as they are).
  int stdioHigh[3] = {-1, -1, -1};
  for (int i = 0; i < 3 && ok && ownStdio; i++) {
    stdioHigh[i] = fcntl(stdioWant[i], F_DUPFD_CLOEXEC, 3 + n);
    if (stdioHigh[i] < 0) { err = errno; ok = false; }
  }
  pid_t pid = -1;
  std::string exePath = "/proc/self/fd/" + std::to_string(exeHigh);
  std::string planArg = std::to_string(3 + n - 2);
  char* argv[] = {(char*)"carton-init", (char*)planArg.c_str(), nullptr};
  char* envp[] = {nullptr};
  if (ok && !cgDir.empty()) {
    int cg = open(cgDir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cg < 0) {
      err = errno; ok = false; failWhat = "open cgroup " + cgDir;
    } else {
      std::vector<int> leak = InheritableFds(3 + n);
      SpawnSpec spec = {cg, exeHigh, ownStdio ? stdioHigh : nullptr, high.data(), n, leak.data(), (int)leak.size(), argv, envp};
      bool unsupported = false;
      pid = SpawnIntoCgroup(spec, &err, &unsupported);
      close(cg);
      if (pid > 0) via = "clone3";
      else if (unsupported) { const char* nm = strerrorname_np(err); fallback = nm ? nm : "?"; err = 0; }
      else { ok = false; failWhat = "spawn carton-init into cgroup " + cgDir; }
    }
  }
  if (ok && pid <= 0) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    // Node opens its stdio close-on-exec; dup2 of an fd onto itself clears
    // that (glibc >= 2.29), so the container inherits the caller's 0-2.
    for (int i = 0; i < 3; i++) posix_spawn_file_actions_adddup2(&fa, ownStdio ? stdioHigh[i] : i, i);
    for (int i = 0; i < n; i++) posix_spawn_file_actions_adddup2(&fa, high[i], 3 + i);
    // Exactly this table: any inheritable fd the caller leaked to us stops
    // here (close-on-exec ones, our memfd among them, close by themselves).
    CloseInheritable(&fa, 3 + n);
    // Node ignores SIGPIPE and blocks some signals; the container must start
    // with default dispositions and an empty mask.
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    err = posix_spawn(&pid, exePath.c_str(), &fa, &attr, argv, envp);
    if (err != 0) ok = false;
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
  }
  for (int h : high) if (h >= 0) close(h);
  for (int h : stdioHigh) if (h >= 0) close(h);
  if (exeHigh >= 0) close(exeHigh);
  close(exe);
  close(planfd);
  close(sp[1]);
  if (!ok) { close(sp[0]); return Fail(env, failWhat, err); }
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, pid));
  out.Set("sync", Napi::Number::New(env, sp[0]));
  out.Set("via", Napi::String::New(env, via));
  if (!fallback.empty()) out.Set("fallback", Napi::String::New(env, fallback));
  return out;
}

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
    int e = errno; close(fd); return Fail(env, "connect " + path, e);
  }
  return Napi::Number::New(env, fd);
}

// One recvmsg of up to `len` bytes with at most one SCM_RIGHTS fd (-1 when
// the message carried none). Returns the byte count, or -1 with errno set.
ssize_t RecvWithFd(int sock, char* data, size_t len, int* fd) {
  struct iovec iov = {data, len};
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof u.buf;
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
  // A peer that exited with our message queued shows ECONNRESET once first.
  if (n < 0 && errno == ECONNRESET) do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
  *fd = -1;
  struct cmsghdr* c = n > 0 ? CMSG_FIRSTHDR(&msg) : nullptr;
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(fd, CMSG_DATA(c), sizeof *fd);
  return n;
}

// recvFd(sock) -> fd: one message with one SCM_RIGHTS fd (the pty master).
Napi::Value RecvFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  char data[4096];
  int fd;
  ssize_t n = RecvWithFd(info[0].As<Napi::Number>().Int32Value(), data, sizeof data, &fd);
  if (n < 0) return Fail(env, "recvmsg", errno);
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
  do r = flock(fd, op); while (r < 0 && errno == EINTR);
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
  do r = poll(&p, 1, timeout); while (r < 0 && errno == EINTR);
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
  do r = poll(&p, 1, timeout); while (r < 0 && errno == EINTR);
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
  do r = waitpid(pid, &status, flags); while (r < 0 && errno == EINTR);
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
    do r = waitpid(pid_, &status_, 0); while (r < 0 && errno == EINTR);
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
  ssize_t n = RecvWithFd(info[0].As<Napi::Number>().Int32Value(), data, sizeof data, &fd);
  if (n < 0) return Fail(env, "recvmsg", errno);
  Napi::Object o = Napi::Object::New(env);
  o.Set("data", Napi::Buffer<char>::Copy(env, data, (size_t)n));
  o.Set("fd", Napi::Number::New(env, fd));
  return o;
}

// sendFd(sock, fd, data: Buffer): one sendmsg carrying data and fd
// (SCM_RIGHTS). Returns the bytes of data sent; the caller writes the rest.
Napi::Value SendFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sock = info[0].As<Napi::Number>().Int32Value();
  int fd = info[1].As<Napi::Number>().Int32Value();
  Napi::Buffer<char> data = info[2].As<Napi::Buffer<char>>();
  struct iovec iov = {data.Data(), data.Length()};
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof u.buf;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t n;
  do n = sendmsg(sock, &msg, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
  if (n < 0) return Fail(env, "sendmsg", errno);
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

}  // namespace

NODE_API_MODULE(carton, Init)
