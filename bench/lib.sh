# Sourced by bench/run.sh and bench/extended.sh (cwd: the checkout, $work:
# the script's own temp dir): the runtimes compared and how each is called.
#
#   carton       the shipped executable, dist/carton (what setup puts on PATH)
#   carton-node  the Node entry, bin/carton
#   runc
#   crun-w       crun through the wrapper below, and
#   runc-w       runc through the same wrapper, for the crun / runc ratio
#
# Debian's crun 1.8 refuses this hybrid host (a cgroup2 mount at
# /sys/fs/cgroup/unified beside v1 controllers), so crun runs in a private
# mount namespace without that one mount (never unmounted on the host):
# `unshare -m --propagation private sh -c 'umount -l /sys/fs/cgroup/unified;
# exec "$@"' sh crun ...`. The wrapper costs a fork, two execs and a mount
# namespace, so crun is compared with runc run through the same wrapper.

# NODE_EXTRA_CA_CERTS triples Node's start-up here and has nothing to do with carton.
unset NODE_EXTRA_CA_CERTS
# Every container id starts with $tag: without a cgroupsPath a runtime derives
# the container's cgroup from its id, so ours never meet anyone else's.
tag=cb$$
names=(carton carton-node runc)
declare -A cmd=([carton]="$PWD/dist/carton" [carton-node]="$PWD/bin/carton" [runc]="runc")
cat >"$work/wrap" <<'EOF'
#!/bin/sh
# the runtime in a private mount namespace without the cgroup2 mount (bench/lib.sh)
exec unshare -m --propagation private sh -c 'umount -l /sys/fs/cgroup/unified; exec "$@"' sh "$@"
EOF
chmod +x "$work/wrap"
if command -v crun >/dev/null; then
  names+=(crun-w runc-w)
  cmd[crun-w]="$work/wrap crun"
  cmd[runc-w]="$work/wrap runc"
fi
# The runtime's command with its own state root ($2: a suffix for another root).
rt() { echo "${cmd[$1]} --root $work/root-$1${2:-}"; }

# Deletes (force) every container in the state roots under $work, a few at a
# time, then any cgroup named after $tag that a runtime left (ours only).
delete_all() {
  local n root
  for n in "${names[@]}"; do
    for root in "$work"/root-"$n" "$work"/root-"$n"-*; do
      [[ -d $root ]] || continue
      # shellcheck disable=SC2086 # "wrap crun" is two words
      ls "$root" | xargs -r -P 4 -I{} ${cmd[$n]} --root "$root" delete --force {} >/dev/null 2>&1
    done
  done
  local d
  for d in /sys/fs/cgroup/*/"$tag"-* /sys/fs/cgroup/*/carton/"$tag"-*; do
    [[ -d $d ]] && rmdir "$d" 2>/dev/null
  done
  return 0
}

# containerd_toml DIR SOCK: a containerd config with everything under DIR,
# listening on SOCK (and SOCK.ttrpc), without the CRI plugin and the
# snapshotters this host lacks (bench/engines.sh, bench/shim.sh).
containerd_toml() {
  cat <<EOF
version = 2
root = "$1/croot"
state = "$1/cstate"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$2"
[ttrpc]
  address = "$2.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$1/opt"
EOF
}

# The directories containerd and the shims make under /run/containerd,
# removed once empty (rmdir: whatever another containerd keeps there stays).
rmdir_containerd_run() {
  rmdir /run/containerd/carton/.shim /run/containerd/carton /run/containerd/runc /run/containerd/fifo \
    /run/containerd/s /run/containerd 2>/dev/null
  return 0
}

# mkbundle DIR ARGS-JSON [MEMORY-LIMIT-BYTES]: the busybox bundle running ARGS.
mkbundle() {
  mkdir -p "$1"
  node -e '
    const [file, args, mem] = process.argv.slice(1);
    const s = JSON.parse(require("fs").readFileSync("bundles/busybox/config.json", "utf8"));
    s.process.args = JSON.parse(args);
    s.process.terminal = false;
    s.ociVersion = "1.0.2"; // crun 1.8 refuses versions newer than it knows
    s.root.path = require("path").resolve("bundles/busybox/rootfs");
    if (mem) s.linux.resources = { ...s.linux.resources, memory: { limit: Number(mem) } };
    require("fs").writeFileSync(file, JSON.stringify(s));
  ' "$1/config.json" "$2" "${3:-}"
}

# The first line a failing command printed on stderr, for a FAILED cell.
first_err() { grep -v '^\s*$' "$1" 2>/dev/null | head -1 | cut -c1-300 | tr '|' '/'; }
