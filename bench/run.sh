#!/usr/bin/env bash
# carton (the shipped executable dist/carton), carton (Node: bin/carton), runc
# and crun side by side (the runtimes and the crun wrapper: bench/lib.sh), each
# figure in one hyperfine session on the same bundle; prints a markdown table
# of medians and ratios (< 1 is faster than runc), then the CLI's own peak
# resident memory per command.
#
# Usage: bash bench/run.sh [--runs N] [--out DIR]   (as root; hyperfine, runc; crun optional)
# --out DIR keeps the raw figures there for bench/all.sh: KEY.RUNTIME.json
# (hyperfine's export) or KEY.RUNTIME.fail (the error), KEY.label, rss.json.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=15 out=
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "bench/run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v hyperfine >/dev/null && command -v runc >/dev/null || { echo "bench/run.sh: needs hyperfine and runc" >&2; exit 1; }
[[ -x dist/carton ]] || { echo "bench/run.sh: dist/carton missing (npm run build:ts)" >&2; exit 1; }
work=$(mktemp -d /tmp/carton-bench.XXXXXX)
data=${out:-$work/data}
mkdir -p "$data"
# shellcheck source=bench/lib.sh
source bench/lib.sh

cleanup() {
  set +e
  delete_all
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bundle=$work/true
sleepy=$work/sleep
mkbundle "$bundle" '["/bin/true"]'
mkbundle "$sleepy" '["sleep","1000"]'

# One figure: each runtime that can do it, one after the other, each in a
# hyperfine session of its own (hyperfine runs its commands one after the
# other anyway; this way one runtime's failure costs only its own cell).
# $1 = key, $2 = label, $3 = "shell" or "direct", $4 = template with RT for
# the runtime's command (and its --root) and @ for the id prefix.
bench() {
  local key=$1 label=$2 mode=$3 tmpl=$4 n c
  local flags=(--warmup 2 --runs "$runs" --style none)
  [[ $mode == direct ]] && flags+=(-N)
  echo "$label" >"$data/$key.label"
  echo "bench/run.sh: $label" >&2
  for n in "${names[@]}"; do
    c=${tmpl//RT/$(rt "$n")}
    c=${c//@/$tag-$n-}
    # a runtime that cannot do this (crun has no `events`) is named in a .fail file
    if ! bash -c "$c" </dev/null >/dev/null 2>"$work/err" ||
      ! hyperfine "${flags[@]}" --export-json "$data/$key.$n.json" -n "$n" "$c" >/dev/null 2>"$work/err"; then
      echo "bench/run.sh: $n cannot do '$label': $(first_err "$work/err")" >&2
      echo "$(first_err "$work/err")" >"$data/$key.$n.fail"
      rm -f "$data/$key.$n.json"
      # what a half-done try may have left (the ids this template uses)
      for c in b1 b2; do $(rt "$n") delete -f "$tag-$n-$c" </dev/null >/dev/null 2>&1 || true; done
    fi
  done
}

for n in "${names[@]}"; do
  $(rt "$n") create -b "$sleepy" "$tag-$n-s1" </dev/null >/dev/null 2>&1 || true
  $(rt "$n") run -d -b "$sleepy" "$tag-$n-r1" </dev/null >/dev/null 2>&1 || true
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
# container's memory is its own figure in bench/extended.sh). Three runs each;
# rss.json keeps them all (KiB, null for a failed run).
maxrss() { # prints KiB, or "null" when the command failed
  if /usr/bin/time -o "$work/maxrss" -f '%M' "$@" </dev/null >/dev/null 2>&1; then tail -1 "$work/maxrss"; else echo null; fi
}
if [[ -x /usr/bin/time ]]; then
  echo "bench/run.sh: peak resident memory" >&2
  declare -A rss=()
  for n in "${names[@]}"; do
    for i in 1 2 3; do
      for w in state:"state $tag-$n-s1" list:list kill:"kill $tag-$n-r1 CONT" create:"create -b $sleepy $tag-$n-m$i" \
        start:"start $tag-$n-m$i" delete:"delete -f $tag-$n-m$i" run:"run -b $bundle $tag-$n-n$i" exec:"exec $tag-$n-r1 /bin/true"; do
        # shellcheck disable=SC2086
        rss[$n/${w%%:*}]+="$(maxrss $(rt "$n") ${w#*:}),"
      done
    done
  done
  {
    echo "{"
    sep=
    for k in "${!rss[@]}"; do printf '%s"%s": [%s]' "$sep" "$k" "${rss[$k]%,}"; sep=$',\n'; done
    echo; echo "}"
  } >"$data/rss.json"
else
  echo "no /usr/bin/time (apt-get install time)" >"$data/rss.fail"
fi
[[ -n $out ]] || node bench/report.mjs --only run "$data"
