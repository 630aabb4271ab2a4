#!/usr/bin/env bash
# carton (the shipped executable dist/carton), carton (Node: bin/carton), runc
# and crun side by side, each figure in one hyperfine session on the same
# bundle; prints a markdown table of medians and ratios (< 1 is faster than
# runc), then the CLI's own peak resident memory per command.
#
# Debian's crun 1.8 refuses this hybrid host (a cgroup2 mount at
# /sys/fs/cgroup/unified beside v1 controllers), so crun runs through a
# wrapper that unmounts that one mount inside a private mount namespace
# (never on the host): `unshare -m --propagation private sh -c 'umount -l
# /sys/fs/cgroup/unified; exec "$@"' sh crun ...`. The wrapper costs a fork,
# two execs and a mount namespace, so crun is compared with runc run through
# the same wrapper ("crun / runc, wrapped").
#
# Usage: bash bench/run.sh [--runs N]   (as root; hyperfine, runc; crun optional)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=15
[[ ${1:-} == --runs ]] && runs=$2
# NODE_EXTRA_CA_CERTS triples Node's start-up here and has nothing to do with carton.
unset NODE_EXTRA_CA_CERTS
command -v hyperfine >/dev/null && command -v runc >/dev/null || { echo "bench: needs hyperfine and runc" >&2; exit 1; }
[[ -x dist/carton ]] || { echo "bench: dist/carton missing (npm run build:ts)" >&2; exit 1; }
work=$(mktemp -d /tmp/carton-bench.XXXXXX)

# name -> command prefix (each runtime has its own --root under $work)
names=(carton carton-node runc)
declare -A cmd=([carton]="$PWD/dist/carton" [carton-node]="$PWD/bin/carton" [runc]="runc")
cat >"$work/wrap" <<'EOF'
#!/bin/sh
# the runtime in a private mount namespace without the cgroup2 mount (bench/run.sh)
exec unshare -m --propagation private sh -c 'umount -l /sys/fs/cgroup/unified; exec "$@"' sh "$@"
EOF
chmod +x "$work/wrap"
if command -v crun >/dev/null; then
  names+=(crun-w runc-w)
  cmd[crun-w]="$work/wrap crun"
  cmd[runc-w]="$work/wrap runc"
fi
rt() { echo "${cmd[$1]} --root $work/root-$1"; }
# Container ids are prefixed with the runtime's name ("@s1" -> "runc-s1"): without a
# cgroupsPath each runtime derives its cgroup from the id alone, and two runtimes
# must never share one.

cleanup() {
  set +e
  for n in "${names[@]}"; do
    for id in $(ls "$work/root-$n" 2>/dev/null); do $(rt "$n") delete --force "$id" >/dev/null 2>&1; done
  done
  rm -rf "$work"
}
trap cleanup EXIT

mkbundle() { # dir, args-json
  mkdir -p "$1"
  node -e '
    const [file, args] = process.argv.slice(1);
    const s = JSON.parse(require("fs").readFileSync("bundles/busybox/config.json", "utf8"));
    s.process.args = JSON.parse(args);
    s.process.terminal = false;
    s.ociVersion = "1.0.2"; // crun 1.8 refuses versions newer than it knows
    s.root.path = require("path").resolve("bundles/busybox/rootfs");
    require("fs").writeFileSync(file, JSON.stringify(s));
  ' "$1/config.json" "$2"
}
bundle=$work/true
sleepy=$work/sleep
mkbundle "$bundle" '["/bin/true"]'
mkbundle "$sleepy" '["sleep","1000"]'

# One hyperfine session per figure: every runtime that can do it, in order.
# $1 = key, $2 = label, $3 = "shell" or "direct", $4 = template with RT for
# the runtime's command (and its --root).
bench() {
  local key=$1 label=$2 mode=$3 tmpl=$4 args=() n c
  for n in "${names[@]}"; do
    c=${tmpl//RT/$(rt "$n")}
    c=${c//@/$n-}
    # a runtime that cannot do this (crun has no `events`) is left out of the row
    if ! bash -c "$c" </dev/null >/dev/null 2>&1; then echo "bench: $n cannot do '$label', left out" >&2; continue; fi
    args+=(-n "$n" "$c")
  done
  local flags=(--warmup 2 --runs "$runs" --export-json "$work/$key.json" --style none)
  [[ $mode == direct ]] && flags+=(-N)
  echo "bench: $label" >&2
  hyperfine "${flags[@]}" "${args[@]}" >/dev/null || { echo "bench: $label failed" >&2; rm -f "$work/$key.json"; return; }
  echo "$label" >"$work/$key.label"
}

for n in "${names[@]}"; do
  $(rt "$n") create -b "$sleepy" "$n-s1" </dev/null >/dev/null 2>&1
  $(rt "$n") run -d -b "$sleepy" "$n-r1" </dev/null >/dev/null 2>&1
done
# BENCH_ONLY_RSS=1: only the memory table
[[ -n ${BENCH_ONLY_RSS:-} ]] || {
bench 1-run 'run /bin/true' direct "RT run -b $bundle @b1"
bench 2-lifecycle 'create+start+delete' shell "RT create -b $bundle @b2 && RT start @b2 && RT delete -f @b2"
bench 3-state 'state' direct "RT state @s1"
bench 4-list 'list' direct "RT list"
bench 5-kill 'kill (SIGCONT)' direct "RT kill @r1 CONT"
bench 6-ps 'ps --format json' direct "RT ps --format json @r1"
bench 7-events 'events --stats' direct "RT events --stats @r1"
bench 8-exec 'exec /bin/true' direct "RT exec @r1 /bin/true"
# pause and resume alternate, so they are timed as a pair
bench 9-pause 'pause+resume' shell "RT pause @r1 && RT resume @r1"
}

# The CLI's own peak resident memory per command: ru_maxrss of the command
# from GNU time's wait4 (the container's init is not counted: a created
# container's memory is its own figure in bench/extended.sh). Median of three.
median() { sort -n | sed -n 2p; }
maxrss() { /usr/bin/time -o "$work/maxrss" -f '%M' "$@" </dev/null >/dev/null 2>&1 || true; tail -1 "$work/maxrss"; }
if [[ -x /usr/bin/time ]]; then
  echo "bench: peak resident memory" >&2
  declare -A rss=()
  for n in "${names[@]}"; do
    for i in 1 2 3; do
      for w in state:"state $n-s1" list:list kill:"kill $n-r1 CONT" create:"create -b $sleepy $n-m$i" start:"start $n-m$i" \
        delete:"delete -f $n-m$i" run:"run -b $bundle $n-n$i" exec:"exec $n-r1 /bin/true"; do
        # shellcheck disable=SC2086
        rss[$n/${w%%:*}]+="$(maxrss $(rt "$n") ${w#*:}) "
      done
    done
  done
  {
    echo "| CLI peak resident memory (MiB) |$(printf ' %s |' "${names[@]}")"
    echo "|---|$(printf -- '---|%.0s' "${names[@]}")"
    for w in state list kill create start delete run exec; do
      line="| $w |"
      for n in "${names[@]}"; do line+=" $(echo "${rss[$n/$w]}" | tr ' ' '\n' | grep . | median | awk '{printf "%.1f", $1/1024}') |"; done
      echo "$line"
    done
  } >"$work/rss.md"
fi
node bench/report.mjs "$work" "${names[@]}"
