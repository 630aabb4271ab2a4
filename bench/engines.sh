#!/usr/bin/env bash
# What users feel: `podman run --rm IMG /bin/true` and `docker run --rm IMG
# /bin/true` with carton (the shipped executable dist/carton) and with runc
# as the OCI runtime, each pair in one hyperfine session. Every engine runs on
# directories of its own under a temp dir, as in test/integration/{podman,
# docker}.test.ts (host quirks: ../shared/reference/engines-on-this-host.md),
# and is stopped by pid; the image is imported from the busybox rootfs.
# Usage: bash bench/engines.sh [--runs N] [--out DIR]   (as root; podman, docker.io, containerd, hyperfine)
# --out DIR keeps the raw figures for bench/all.sh: ENGINE.RUNTIME.json
# (hyperfine's export) or ENGINE.RUNTIME.fail (the error).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=10 out=
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "bench/engines.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
unset NODE_EXTRA_CA_CERTS
carton=$PWD/dist/carton
runc=$(command -v runc)
rootfs=$PWD/bundles/busybox/rootfs
work=$(mktemp -d /tmp/carton-enginebench.XXXXXX)
# shellcheck source=bench/lib.sh
source bench/lib.sh
cpid= dpid=
hostdirs=()
for d in /run/docker/plugins /run/docker /run/containerd/fifo /run/containerd/s /run/containerd; do [[ -e $d ]] || hostdirs+=("$d"); done
cgparents=()
for h in /sys/fs/cgroup/*; do [[ -e $h/docker ]] || cgparents+=("$h/docker"); done
blobcache=/var/lib/containers/cache/blob-info-cache-v1.boltdb
[[ -e $blobcache ]] && hadcache=1 || hadcache=

stop() { # pid: TERM, then KILL after 5 s
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 50); do [[ -d /proc/$1 ]] || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
}
cleanup() {
  set +e
  if command -v podman >/dev/null; then for rt in carton runc; do P "$rt" rm --all --force --time 0 >/dev/null 2>&1; done; fi
  if [[ -n $dpid ]]; then D rm --force $(D ps -aq) >/dev/null 2>&1; stop "$dpid"; fi
  if [[ -n $cpid ]]; then
    # shims outlive containerd: ours name our socket on their command line
    for f in /proc/[0-9]*/cmdline; do
      c=$( { tr '\0' ' ' <"$f"; } 2>/dev/null ) || continue
      if [[ $c == *containerd-shim* && $c == *"$work"* ]]; then p=${f#/proc/}; stop "${p%/cmdline}"; fi
    done
    stop "$cpid"
  fi
  sleep 0.2
  grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
  for d in "${cgparents[@]}" "${hostdirs[@]}"; do rmdir "$d" 2>/dev/null; done
  [[ -z $hadcache ]] && rm -f "$blobcache" && rmdir /var/lib/containers/cache /var/lib/containers 2>/dev/null
  rm -rf "$work"
  rmdir_containerd_run
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
data=${out:-$work/data}
mkdir -p "$data"

# time ENGINE RUNTIME COMMAND: one hyperfine session; a failure is kept as ENGINE.RUNTIME.fail
time_it() {
  if ! hyperfine -N --warmup 2 --runs "$runs" --style none --export-json "$data/$1.$2.json" -n "$2" "$3" >/dev/null 2>"$work/err"; then
    grep -v '^\s*$' "$work/err" | head -1 | cut -c1-160 >"$data/$1.$2.fail"
    echo "bench/engines.sh: $1 with $2 failed: $(cat "$data/$1.$2.fail")" >&2
    rm -f "$data/$1.$2.json"
  fi
}

# ---- podman (no daemon): containers.conf/storage.conf as the podman test writes them
if command -v podman >/dev/null; then
  mkdir -p "$work/p/ptmp"
  cat >"$work/p/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "none"
log_driver = "k8s-file"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$work/p/ptmp"
events_logfile_path = "$work/p/ptmp/events.log"
static_dir = "$work/p/graph/libpod"
volume_path = "$work/p/graph/volumes"
cgroups = "no-conmon"
EOF
  printf '[storage]\ndriver = "vfs"\nrunroot = "%s"\ngraphroot = "%s"\n' "$work/p/runroot" "$work/p/graph" >"$work/p/storage.conf"
  P() { # runtime, podman args...
    local rt=$1; shift
    CONTAINERS_CONF=$work/p/containers.conf CONTAINERS_STORAGE_CONF=$work/p/storage.conf podman --root "$work/p/graph" --runroot "$work/p/runroot" \
      --storage-driver vfs --cgroup-manager cgroupfs --events-backend file --tmpdir "$work/p/ptmp" \
      --runtime "$([[ $rt == carton ]] && echo "$carton" || echo "$runc")" --runtime-flag "root=$work/p/state-$rt" "$@"
  }
  echo "bench: podman" >&2
  tar -C "$rootfs" -c . | P carton import - localhost/busybox:bench >/dev/null ||
    for r in carton runc; do echo "podman import failed" >"$data/podman.$r.fail"; done
  pr() { echo "env CONTAINERS_CONF=$work/p/containers.conf CONTAINERS_STORAGE_CONF=$work/p/storage.conf podman --root $work/p/graph --runroot $work/p/runroot --storage-driver vfs --cgroup-manager cgroupfs --events-backend file --tmpdir $work/p/ptmp --runtime $1 --runtime-flag root=$work/p/state-$2 run --rm --network none localhost/busybox:bench /bin/true"; }
  if [[ ! -e $data/podman.carton.fail ]]; then
    time_it podman carton "$(pr "$carton" carton)"
    time_it podman runc "$(pr "$runc" runc)"
  fi
else
  for r in carton runc; do echo "podman is not installed" >"$data/podman.$r.fail"; done
fi

# ---- docker: its own containerd and dockerd, as the docker test starts them
if command -v dockerd >/dev/null && [[ -x /usr/bin/docker ]] && command -v containerd >/dev/null; then
  echo "bench: docker" >&2
  d=$work/d
  mkdir -p "$d"
  containerd_toml "$d" "$d/containerd.sock" >"$d/containerd.toml"
  setsid containerd --config "$d/containerd.toml" >"$d/containerd.log" 2>&1 &
  cpid=$!
  for _ in $(seq 100); do [[ -S $d/containerd.sock ]] && break; sleep 0.1; done
  cat >"$d/daemon.json" <<EOF
{"data-root": "$d/data", "exec-root": "$d/exec", "pidfile": "$d/docker.pid", "hosts": ["unix://$d/docker.sock"],
 "containerd": "$d/containerd.sock", "bridge": "none", "iptables": false, "ip6tables": false, "ip-masq": false,
 "oom-score-adjust": 0, "storage-driver": "vfs", "deprecated-key-path": "$d/key.json",
 "runtimes": {"carton": {"path": "$carton"}}}
EOF
  setsid dockerd --config-file "$d/daemon.json" >"$d/dockerd.log" 2>&1 &
  dpid=$!
  D() { /usr/bin/docker -H "unix://$d/docker.sock" "$@"; }
  for _ in $(seq 150); do D version >/dev/null 2>&1 && break; sleep 0.2; done
  tar -C "$rootfs" -c . | D import - localhost/busybox:bench >/dev/null ||
    for r in carton runc; do echo "dockerd did not start or import failed: $(tail -1 "$d/dockerd.log" | cut -c1-120)" >"$data/docker.$r.fail"; done
  dr() { echo "/usr/bin/docker -H unix://$d/docker.sock run --rm --runtime $1 --network none localhost/busybox:bench /bin/true"; }
  if [[ ! -e $data/docker.carton.fail ]]; then
    time_it docker carton "$(dr carton)"
    time_it docker runc "$(dr runc)"
  fi
else
  for r in carton runc; do echo "docker.io or containerd is not installed" >"$data/docker.$r.fail"; done
fi

[[ -n $out ]] || node bench/report.mjs --only engines "$data"
