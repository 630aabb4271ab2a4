// carton-init's plan decoder (native/init/plan*.cc, the very sources init is
// built from) behind a main() that prints the decoded plan as one JSON line
// per input file: {"error": "..."} or every field of struct plan, plus the
// tags the file's records carried. test/fuzz/plan-roundtrip.test.ts
// compares that with what the TypeScript encoder was given. u64 values are
// printed as decimal strings (JSON numbers would lose bits).
//
// usage: plan_dump PLAN_FILE...
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_decode.h"

namespace {

bool g_first;

void key(const char* k) {
  printf("%s\"%s\":", g_first ? "" : ",", k);
  g_first = false;
}

void str(const char* s) {
  if (!s) {
    fputs("null", stdout);
    return;
  }
  putchar('"');
  for (const unsigned char* c = (const unsigned char*)s; *c; c++) {
    if (*c == '"' || *c == '\\')
      printf("\\%c", *c);
    else if (*c < 0x20)
      printf("\\u%04x", *c);
    else
      putchar(*c);
  }
  putchar('"');
}

void kstr(const char* k, const char* s) { key(k), str(s); }
void knum(const char* k, long long v) { key(k), printf("%lld", v); }
void ku64(const char* k, uint64_t v) { key(k), printf("\"%llu\"", (unsigned long long)v); }
void kbool(const char* k, bool v) { key(k), fputs(v ? "true" : "false", stdout); }

// Opens a nested object or array element; closes restore the comma state.
void open(char c) {
  putchar(c);
  g_first = true;
}
void close(char c) {
  putchar(c);
  g_first = false;
}
void item() {
  if (!g_first) putchar(',');
  g_first = false;
}

void strs(const char* k, char** v, size_t n) {
  key(k), open('[');
  for (size_t i = 0; i < n; i++) item(), str(v[i]);
  close(']');
}

void idmap(const char* k, const plan_idmap_range* r, size_t n) {
  key(k), open('[');
  for (size_t i = 0; i < n; i++) item(), printf("[%u,%u,%u]", r[i].container, r[i].host, r[i].size);
  close(']');
}

void dump(const plan& p) {
  knum("ns_new", p.ns_new);
  key("joins"), open('[');
  for (size_t i = 0; i < p.n_joins; i++)
    item(), open('{'), knum("flag", p.joins[i].flag), kstr("path", p.joins[i].path), close('}');
  close(']');
  kstr("hostname", p.hostname), kstr("domainname", p.domainname), kstr("rootfs", p.rootfs);
  kbool("root_readonly", p.root_readonly), knum("rootfs_propagation", p.rootfs_propagation),
      kbool("no_pivot", p.no_pivot);
  key("mounts"), open('[');
  for (size_t i = 0; i < p.n_mounts; i++) {
    const plan_mount& m = p.mounts[i];
    item(), open('{');
    knum("kind", m.kind), knum("flags", m.flags), knum("propagation", m.propagation), knum("attr_clr", m.attr_clr);
    knum("attr_set", m.attr_set), kbool("defer_ro", m.defer_ro), kbool("detached", m.detached),
        kstr("source", m.source), kstr("target", m.target), kstr("fstype", m.fstype), kstr("data", m.data);
    if (m.idmap) {
      key("idmap"), open('{'), kbool("recursive", m.idmap->recursive);
      idmap("uid", m.idmap->uid, m.idmap->n_uid), idmap("gid", m.idmap->gid, m.idmap->n_gid), close('}');
    }
    close('}');
  }
  close(']');
  key("devices"), open('[');
  for (size_t i = 0; i < p.n_devices; i++) {
    const plan_device& d = p.devices[i];
    item(), open('{');
    knum("type", d.type), knum("major", d.major), knum("minor", d.minor), knum("mode", d.mode);
    knum("uid", d.uid), knum("gid", d.gid), knum("bind", d.bind), kstr("path", d.path), close('}');
  }
  close(']');
  key("symlinks"), open('[');
  for (size_t i = 0; i < p.n_symlinks; i++)
    item(), open('{'), kstr("target", p.symlinks[i].target), kstr("path", p.symlinks[i].path), close('}');
  close(']');
  strs("masked", p.masked, p.n_masked), strs("readonly", p.readonly, p.n_readonly);
  key("sysctls"), open('[');
  for (size_t i = 0; i < p.n_sysctls; i++)
    item(), open('['), item(), str(p.sysctls[i].key), item(), str(p.sysctls[i].value), close(']');
  close(']');
  kstr("cwd", p.cwd), strs("args", p.args, p.n_args), strs("env", p.env, p.n_env);
  knum("uid", p.uid), knum("gid", p.gid), knum("umask", p.umask);
  key("groups"), open('[');
  for (size_t i = 0; i < p.n_groups; i++) item(), printf("%u", p.groups[i]);
  close(']');
  key("rlimits"), open('[');
  for (size_t i = 0; i < p.n_rlimits; i++)
    item(), open('{'), knum("resource", p.rlimits[i].resource), ku64("soft", p.rlimits[i].soft),
        ku64("hard", p.rlimits[i].hard), close('}');
  close(']');
  kbool("has_caps", p.has_caps), ku64("cap_bounding", p.cap_bounding), ku64("cap_effective", p.cap_effective);
  ku64("cap_inheritable", p.cap_inheritable), ku64("cap_permitted", p.cap_permitted),
      ku64("cap_ambient", p.cap_ambient);
  kbool("no_new_privs", p.no_new_privs), kbool("has_oom", p.has_oom), knum("oom_score_adj", p.oom_score_adj);
  kbool("terminal", p.terminal), knum("rows", p.rows), knum("cols", p.cols);
  knum("sync_fd", p.sync_fd), knum("fifo_fd", p.fifo_fd), knum("console_fd", p.console_fd),
      knum("first_own", p.first_own);
  key("time_offsets"), open('[');
  for (size_t i = 0; i < p.n_time_offsets; i++) {
    const plan_time_offset& t = p.time_offsets[i];
    item(), open('{'), knum("clock", t.clock), knum("secs", t.secs), knum("nsecs", t.nsecs), close('}');
  }
  close(']');
  kstr("session_keyring", p.session_keyring);
  key("seccomp_prog"), open('[');
  for (size_t i = 0; i < p.seccomp_len; i++) item(), printf("%u", p.seccomp_prog[i]);
  close(']');
  knum("seccomp_flags", p.seccomp_flags), knum("seccomp_stage", p.seccomp_stage);
  kbool("exec_now", p.exec_now), kbool("hooks_pause", p.hooks_pause), kbool("trace", p.trace);
  key("hooks"), open('[');
  for (size_t i = 0; i < p.n_hooks; i++) {
    const plan_hook& h = p.hooks[i];
    size_t na = 0, ne = 0;
    while (h.args[na]) na++;
    while (h.env[ne]) ne++;
    item(), open('{'), knum("kind", h.kind), knum("timeout", h.timeout), kstr("path", h.path);
    strs("args", h.args, na), strs("env", h.env, ne), close('}');
  }
  close(']');
  key("net_devices"), open('[');
  for (size_t i = 0; i < p.n_net_devices; i++)
    item(), open('{'), kstr("host", p.net_devices[i].host), kstr("name", p.net_devices[i].name), close('}');
  close(']');
  kbool("has_personality", p.has_personality), knum("personality", p.personality);
  kbool("has_scheduler", p.has_scheduler), knum("sched_policy", p.sched_policy), ku64("sched_flags", p.sched_flags);
  knum("sched_nice", p.sched_nice), knum("sched_priority", p.sched_priority), ku64("sched_runtime", p.sched_runtime);
  ku64("sched_deadline", p.sched_deadline), ku64("sched_period", p.sched_period);
  kbool("has_ioprio", p.has_ioprio), knum("ioprio", p.ioprio);
  kbool("has_mempolicy", p.has_mempolicy), knum("mempolicy_mode", p.mempolicy_mode),
      knum("mempolicy_flags", p.mempolicy_flags);
  kbool("has_host_facts", p.has_host_facts), knum("last_cap", p.last_cap), knum("setgroups", p.setgroups);
  key("mempolicy_nodes"), open('[');
  for (size_t i = 0; i < p.n_mempolicy_words; i++) item(), printf("\"%llu\"", (unsigned long long)p.mempolicy_nodes[i]);
  close(']');
}

} // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; i++) {
    FILE* f = fopen(argv[i], "rb");
    if (!f) {
      perror(argv[i]);
      return 2;
    }
    static uint8_t buf[1 << 20];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    // An exact-size copy: a read past the plan is an ASan report.
    uint8_t* exact = (uint8_t*)malloc(len ? len : 1);
    memcpy(exact, buf, len);
    plan p;
    const char* err = plan_decode(exact, len, &p);
    open('{');
    if (err)
      kstr("error", err);
    else
      dump(p);
    close('}');
    putchar('\n');
    free(exact);
  }
  return 0;
}
