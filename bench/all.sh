#!/usr/bin/env bash
# `npm run bench`: every figure of issues 15 and 16 in ONE session, then one
# markdown report (bench/report.mjs): date, machine, load before and after,
# versions, then each target's figure beside its threshold with met/missed.
# Steps (each usable alone; here each gets --out so its raw figures land in
# bench/results/STAMP.raw/, and each is bounded by a timeout):
#   run       bench/run.sh       CLI commands: carton, carton (Node), runc, crun/runc wrapped; CLI peak RSS
#   extended  bench/extended.sh  50 concurrent creates, created-state memory, 512 KiB limit, list of 1000
#   engines   bench/engines.sh   podman / docker run --rm /bin/true with carton and with runc
#   pods      bench/pods.sh      CRI pods, N = 1, 10, 30: Pss and start per pod, carton vs runc
#   shim      bench/shim.sh      containerd shims: ctr run --rm, Rss per container, the stall figures
# A step that fails or times out is printed as FAILED in the report (its
# figures FAILED, with the error); the other steps still run. Each step
# cleans up what it made, on error and on SIGINT/SIGTERM too (its own traps);
# this script passes a signal on to the running step and waits for it.
#
# Usage: bash bench/all.sh [--quick] [--only "run extended ..."]   (as root, after npm run build:ts)
#   --quick: a few runs of everything (a smoke test of the whole chain, ~5 min; figures meaningless)
# Writes bench/results/YYYY-MM-DD-HHMM.md (and .raw/ beside it) and prints the report.
set -euo pipefail
cd "$(dirname "$0")/.."
quick= only="run extended engines pods shim"
while (($#)); do
  case $1 in
    --quick) quick=1; shift ;;
    --only) only=$2; shift 2 ;;
    *) echo "bench/all.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
unset NODE_EXTRA_CA_CERTS
((EUID == 0)) || { echo "bench/all.sh: run it as root" >&2; exit 1; }
[[ -x dist/carton && -f dist/shim.js ]] || { echo "bench/all.sh: dist/ missing (npm run build:ts)" >&2; exit 1; }
[[ -x bundles/busybox/rootfs/bin/busybox ]] || { echo "bench/all.sh: no busybox rootfs (bash scripts/make-rootfs.sh)" >&2; exit 1; }
if [[ -n $(find src -newer dist/carton -name '*.ts' -print -quit) ]]; then
  echo "bench/all.sh: warning: src/ has changes newer than dist/carton (npm run build:ts)" >&2
fi

# Run counts, chosen so that the whole run takes ≤ 20 min on the 2-core VM.
# The estimates (s) are for a quiet VM; a VM loaded by other jobs takes longer:
# with a load average of ~9 (2026-12-06 11:55) the same run took 21 min 48 s
# (run 175 s, extended 557 s, engines 52 s, pods 410 s, shim 114 s), and with
# one of 2-18 (12:23) 22 min 48 s (191, 740, 68, 311, 58 s).
if [[ -n $quick ]]; then
  declare -A argv=(
    [run]="--runs 3" [extended]="--list 50 --list-runs 3 --reps 1" [engines]="--runs 2"
    [pods]="--counts 1,3 --reps 1" [shim]="--runs 3 --running 3")
  declare -A est=([run]=100 [extended]=60 [engines]=60 [pods]=40 [shim]=60)
else
  declare -A argv=(
    [run]="--runs 20" [extended]="--list 1000 --list-runs 10 --reps 3" [engines]="--runs 10"
    [pods]="--counts 1,10,30 --reps 3" [shim]="--runs 20 --running 10")
  declare -A est=([run]=120 [extended]=300 [engines]=45 [pods]=350 [shim]=100)
fi
declare -A script=([run]=bench/run.sh [extended]=bench/extended.sh [engines]=bench/engines.sh [pods]=bench/pods.sh [shim]=bench/shim.sh)
declare -A outarg=([run]="--out RAW/run" [extended]="--out RAW/extended.json" [engines]="--out RAW/engines"
  [pods]="--json RAW/pods.json" [shim]="--out RAW/shim.json")
# A hard bound per step, against a hang (a loaded VM is slow, not hung): four
# times its estimate, at least 10 min.
limit() { local t=$((est[$1] * 4)); ((t < 600)) && t=600; echo "$t"; }

stamp=$(date -u +%Y-%m-%d-%H%M)
mkdir -p bench/results
raw=$PWD/bench/results/$stamp.raw
report=$PWD/bench/results/$stamp.md
mkdir -p "$raw"
date -u +%FT%T >"$raw/started"
# what is measured: the revision now (a commit made during the run changes nothing measured)
{ git rev-parse --short HEAD; git rev-parse --abbrev-ref HEAD; git status --porcelain --untracked-files=no | head -1; } >"$raw/rev" 2>/dev/null || true
cut -d' ' -f1-3 /proc/loadavg >"$raw/load-before"
t_start=$(date +%s)
total=0
for s in $only; do total=$((total + est[$s])); done
echo "$total" >"$raw/estimate"
echo "bench/all.sh: steps: $only; estimated $((total / 60)) min $((total % 60)) s on the quiet 2-core VM, longer on a loaded one (load average now $(cat "$raw/load-before"))" >&2
: >"$raw/steps.tsv"

child=
finish() { # the report of what was measured
  cut -d' ' -f1-3 /proc/loadavg >"$raw/load-after"
  echo $(($(date +%s) - t_start)) >"$raw/seconds"
  node bench/report.mjs "$raw" >"$report"
}
on_signal() {
  trap '' INT TERM
  echo "bench/all.sh: interrupted, stopping step ${current:-?} (it cleans up after itself)" >&2
  if [[ -n $child ]]; then
    kill -TERM "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true # (set -e would end this handler here)
    echo "interrupted" >"$raw/$current.err"
    printf '%s\t%s\t%s\t%s\n' "$current" "interrupted" "$(($(date +%s) - t0))" "bash ${script[$current]} ${argv[$current]}" >>"$raw/steps.tsv"
  fi
  finish
  echo "bench/all.sh: the report of what was measured before the interruption: $report" >&2
  exit 130
}
trap on_signal INT TERM

for current in $only; do
  [[ -n ${script[$current]:-} ]] || { echo "bench/all.sh: no step '$current'" >&2; exit 2; }
  args="${argv[$current]} ${outarg[$current]//RAW/$raw}"
  echo "bench/all.sh: $current (bash ${script[$current]} $args), ~$((est[$current] / 60)) min $((est[$current] % 60)) s, bounded at $(limit "$current") s" >&2
  t0=$(date +%s)
  # shellcheck disable=SC2086 # args are words
  timeout -k 60 "$(limit "$current")" bash "${script[$current]}" $args </dev/null >"$raw/$current.log" 2>&1 &
  child=$!
  rc=0
  wait "$child" || rc=$?
  child=
  took=$(($(date +%s) - t0))
  ((rc == 124)) && echo "timed out after $(limit "$current") s" >"$raw/$current.err"
  if ((rc != 0 && rc != 124)); then
    # the step's last error line, for the report
    grep -iE 'error|fail|cannot|not |denied|invalid' "$raw/$current.log" | tail -1 | cut -c1-200 >"$raw/$current.err" || true
    [[ -s $raw/$current.err ]] || tail -1 "$raw/$current.log" | cut -c1-200 >"$raw/$current.err"
  fi
  printf '%s\t%s\t%s\t%s\n' "$current" "$rc" "$took" "bash ${script[$current]} ${argv[$current]}" >>"$raw/steps.tsv"
  echo "bench/all.sh: $current: exit $rc after ${took} s$( ((rc)) && echo " ($(cat "$raw/$current.err" 2>/dev/null))")" >&2
done

finish
cat "$report"
echo >&2
echo "bench/all.sh: report in $report (raw figures and each step's log in $raw/)" >&2
