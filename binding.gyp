{
  "targets": [
    {
      # The Node addon: small fd-level helpers only (spawn init, SCM_RIGHTS,
      # pidfd, fifo, subreaper). No container logic lives here.
      "target_name": "carton",
      "sources": ["native/addon/addon.cc", "native/addon/spawn.cc", "native/addon/bpf.cc", "native/addon/seccomp.cc", "native/addon/spawn_cgroup.cc", "native/addon/shim.cc"],
      # libseccomp only here: carton-init stays static and receives BPF bytes.
      "libraries": ["-lseccomp"],
      # libstdc++ linked in (only the parts the addon uses), not loaded as a
      # shared library: loading libstdc++.so was most of what loading the
      # addon cost a command (~2 M instructions of relocation and start-up).
      "ldflags": ["-static-libstdc++", "-static-libgcc", "-Wl,--gc-sections", "-Wl,--exclude-libs,ALL"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-O2"]
    },
    {
      # carton-init: the single-threaded native executable that performs the
      # kernel steps inside the container's namespaces. Static, no libstdc++
      # runtime, no exceptions: it is copied into a sealed memfd per container,
      # and its resident set is what a created container costs.
      "target_name": "carton-init",
      "type": "executable",
      "sources": [
        "<!@(ls -1 native/init/*.cc)"
      ],
      # plan_format.h (plan tags, constants, protocol message codes) is
      # generated from src/plan/format.ts, the one definition of the format;
      # gyp runs this action before it compiles any source of the target.
      "actions": [
        {
          "action_name": "plan_format",
          "inputs": ["src/plan/format.ts", "scripts/gen-plan-format.mjs"],
          "outputs": ["<(SHARED_INTERMEDIATE_DIR)/plan_format.h"],
          "action": ["node", "scripts/gen-plan-format.mjs", "<@(_outputs)"]
        }
      ],
      "include_dirs": ["<(SHARED_INTERMEDIATE_DIR)"],
      # The stack protector is on: every stage runs on a stack and TLS that
      # glibc's static start-up set up (stage B comes from a raw clone()
      # without CLONE_VM or a new stack, so it is a fork-like copy with the
      # same canary). Measured: +4 KiB of text, the same created-state RSS.
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-Os", "-fno-exceptions", "-fno-rtti",
                    "-fno-asynchronous-unwind-tables", "-fstack-protector-strong"],
      "cflags_cc!": ["-fno-omit-frame-pointer"],
      # -nodefaultlibs + explicit C libraries instead of -nostdlib++, which
      # GCC 12 (Debian 12) does not know; libstdc++ stays out either way.
      "ldflags": ["-static", "-nodefaultlibs", "-Wl,--gc-sections", "-s"],
      "libraries": ["-lc", "-lgcc", "-lgcc_eh"]
    },
    {
      # containerd-shim-carton-v2 as containerd runs it: a C relay to the
      # namespace's serving shim (src/shim/frontdoor.ts), so a container's
      # `start` costs no Node start-up; otherwise it execs the Node shim.
      "target_name": "containerd-shim-carton-v2",
      "type": "executable",
      "sources": ["native/shim-relay/relay.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-O2"],
      "ldflags": ["-s"]
    },
    {
      # carton-keeper: holds the serving shim's fds and reaps its containers
      # across a crash of Node (native/keeper/keeper.c). Static, libc only:
      # one per shim, so its resident set is what keeping costs.
      "target_name": "carton-keeper",
      "type": "executable",
      "sources": ["native/keeper/keeper.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-Os"],
      "ldflags": ["-static", "-Wl,--gc-sections", "-s"]
    }
  ]
}
