// spawnInit: carton-init started from a sealed memfd copy of itself with
// an exact fd table, born in the container's cgroup2 cgroup where the kernel
// allows it (spawn_cgroup.cc), else by posix_spawn.
#include <napi.h>

#include "errno_error.h"
#include "spawn_cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

// A sealed, executable memfd copy of carton-init. Executing the copy (not
// the file on disk) means a container that gets hold of /proc/<pid>/exe can
// neither rewrite the runtime binary on the host nor the copy (CVE-2019-5736).
int SealedCopy(const char* path, int* err) {
  int src = open(path, O_RDONLY | O_CLOEXEC);
  if (src < 0) {
    *err = errno;
    return -1;
  }
  struct stat st;
  if (fstat(src, &st) < 0) {
    *err = errno;
    close(src);
    return -1;
  }
  int mfd = memfd_create("carton-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) {
    *err = errno;
    close(src);
    return -1;
  }
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(mfd, src, &off, st.st_size - off);
    if (n <= 0) {
      *err = n < 0 ? errno : EIO;
      close(src);
      close(mfd);
      return -1;
    }
  }
  close(src);
  if (fchmod(mfd, 0555) < 0 || fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
    *err = errno;
    close(mfd);
    return -1;
  }
  return mfd;
}

int PlanMemfd(const uint8_t* data, size_t len, int* err) {
  int fd = memfd_create("carton-plan", MFD_CLOEXEC);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  size_t off = 0;
  while (off < len) {
    ssize_t n = write(fd, data + off, len - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      *err = errno;
      close(fd);
      return -1;
    }
    off += n;
  }
  if (lseek(fd, 0, SEEK_SET) < 0) {
    *err = errno;
    close(fd);
    return -1;
  }
  return fd;
}

void CloseInheritable(posix_spawn_file_actions_t* fa, int from) {
  for (int fd : InheritableFds(from)) posix_spawn_file_actions_addclose(fa, fd);
}

// Runs `fn` on a thread that lives as long as the process when called from
// any thread but the main one. An init is the child of the *thread* that
// cloned it (CLONE_PARENT keeps that for B), and that thread's exit fires
// the parent-death signal of its children: carton-init's own (armed until
// B is ready) or one the container's process set for itself (tini -p). The
// shim runs create and exec on worker threads it retires when idle
// (src/shim/task/lifecycle.ts); a retired worker must not look like a dead
// parent to the containers it started. The main thread (the CLI) spawns
// directly. One spawn at a time; the caller waits.
void OnLastingThread(const std::function<void()>& fn) {
  if (syscall(SYS_gettid) == getpid()) {
    fn();
    return;
  }
  // Never destroyed: at exit the thread still waits on them (glibc's
  // pthread_cond_destroy would wait for it forever).
  struct Shared {
    std::mutex callers; // one job at a time
    std::mutex mu;
    std::condition_variable cv;
    const std::function<void()>* job = nullptr;
    bool done = false;
  };
  static Shared* sh = new Shared;
  static std::once_flag started;
  std::lock_guard<std::mutex> one(sh->callers);
  std::call_once(started, [] {
    std::thread([] {
      std::unique_lock<std::mutex> l(sh->mu);
      for (;;) {
        sh->cv.wait(l, [] { return sh->job != nullptr && !sh->done; });
        (*sh->job)();
        sh->done = true;
        sh->cv.notify_all();
      }
    }).detach();
  });
  std::unique_lock<std::mutex> l(sh->mu);
  sh->job = &fn;
  sh->done = false;
  sh->cv.notify_all();
  sh->cv.wait(l, [] { return sh->done; });
  sh->job = nullptr;
}

} // namespace

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
  if (planfd < 0) {
    close(exe);
    return Fail(env, "plan memfd", err);
  }
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
    err = errno;
    close(exe);
    close(planfd);
    return Fail(env, "socketpair", err);
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
    if (high[i] < 0) {
      err = errno;
      ok = false;
    }
  }
  // The memfd's own number must stay clear of the targets too.
  int exeHigh = ok ? fcntl(exe, F_DUPFD_CLOEXEC, 3 + n) : -1;
  if (ok && exeHigh < 0) {
    err = errno;
    ok = false;
  }
  // stdio sources likewise (without `stdio` the child keeps 0-2 as they are).
  int stdioHigh[3] = {-1, -1, -1};
  for (int i = 0; i < 3 && ok && ownStdio; i++) {
    stdioHigh[i] = fcntl(stdioWant[i], F_DUPFD_CLOEXEC, 3 + n);
    if (stdioHigh[i] < 0) {
      err = errno;
      ok = false;
    }
  }
  pid_t pid = -1;
  std::string exePath = "/proc/self/fd/" + std::to_string(exeHigh);
  std::string planArg = std::to_string(3 + n - 2);
  char* argv[] = {(char*)"carton-init", (char*)planArg.c_str(), nullptr};
  char* envp[] = {nullptr};
  OnLastingThread([&] {
    if (ok && !cgDir.empty()) {
      int cg = open(cgDir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (cg < 0) {
        err = errno;
        ok = false;
        failWhat = "open cgroup " + cgDir;
      } else {
        std::vector<int> leak = InheritableFds(3 + n);
        SpawnSpec spec = {cg,   exeHigh, ownStdio ? stdioHigh : nullptr, high.data(), n, leak.data(), (int)leak.size(),
                          argv, envp};
        bool unsupported = false;
        pid = SpawnIntoCgroup(spec, &err, &unsupported);
        close(cg);
        if (pid > 0)
          via = "clone3";
        else if (unsupported) {
          const char* nm = strerrorname_np(err);
          fallback = nm ? nm : "?";
          err = 0;
        } else {
          ok = false;
          failWhat = "spawn carton-init into cgroup " + cgDir;
        }
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
  });
  for (int h : high)
    if (h >= 0) close(h);
  for (int h : stdioHigh)
    if (h >= 0) close(h);
  if (exeHigh >= 0) close(exeHigh);
  close(exe);
  close(planfd);
  close(sp[1]);
  if (!ok) {
    close(sp[0]);
    return Fail(env, failWhat, err);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, pid));
  out.Set("sync", Napi::Number::New(env, sp[0]));
  out.Set("via", Napi::String::New(env, via));
  if (!fallback.empty()) out.Set("fallback", Napi::String::New(env, fallback));
  return out;
}
