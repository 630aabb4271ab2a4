#!/usr/bin/env bash
# carton vs runc, side by side in one hyperfine session on the same bundle.
# Prints a markdown table of means and ratios (carton / runc; < 1 is faster).
# Usage: bash bench/run.sh [--runs N]    (as root; needs hyperfine and runc)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=30
[[ ${1:-} == --runs ]] && runs=$2
# NODE_EXTRA_CA_CERTS triples Node's start-up here and has nothing to do with carton.
unset NODE_EXTRA_CA_CERTS
command -v hyperfine >/dev/null && command -v runc >/dev/null || { echo "bench: needs hyperfine and runc" >&2; exit 1; }
carton=$PWD/bin/carton
work=$(mktemp -d /tmp/carton-bench.XXXXXX)
cleanup() {
  for rt in carton runc; do
    for id in $(ls "$work/root-$rt" 2>/dev/null); do "$( [[ $rt == carton ]] && echo "$carton" || echo runc )" --root "$work/root-$rt" delete --force "$id" >/dev/null 2>&1 || true; done
  done
  rm -rf "$work"
}
trap cleanup EXIT

bundle=$work/bundle
mkdir -p "$bundle"
node -e '
  const s = JSON.parse(require("fs").readFileSync("bundles/busybox/config.json", "utf8"));
  s.process.args = ["/bin/true"];
  s.root.path = require("path").resolve("bundles/busybox/rootfs");
  require("fs").writeFileSync(process.argv[1], JSON.stringify(s));
' "$bundle/config.json"
sleepy=$work/sleepy
mkdir -p "$sleepy"
node -e '
  const s = JSON.parse(require("fs").readFileSync(process.argv[1] + "/config.json", "utf8"));
  s.process.args = ["sleep", "1000"];
  require("fs").writeFileSync(process.argv[2] + "/config.json", JSON.stringify(s));
' "$bundle" "$sleepy"

R() { echo "--root $work/root-$1"; }
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/startup.json" \
  -n 'carton run /bin/true' "$carton $(R carton) run -b $bundle b1" \
  -n 'runc run /bin/true' "runc $(R runc) run -b $bundle b1" >&2
hyperfine --warmup 3 --runs "$runs" --export-json "$work/lifecycle.json" \
  -n 'carton create+start+delete' "$carton $(R carton) create -b $bundle b2 && $carton $(R carton) start b2 && $carton $(R carton) delete -f b2" \
  -n 'runc create+start+delete' "runc $(R runc) create -b $bundle b2 && runc $(R runc) start b2 && runc $(R runc) delete -f b2" >&2
"$carton" $(R carton) create -b "$sleepy" s1 </dev/null >/dev/null 2>&1
runc $(R runc) create -b "$sleepy" s1 </dev/null >/dev/null 2>&1
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/state.json" \
  -n 'carton state' "$carton $(R carton) state s1" \
  -n 'runc state' "runc $(R runc) state s1" \
  -n 'carton list' "$carton $(R carton) list" \
  -n 'runc list' "runc $(R runc) list" >&2
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/cgroups.json" \
  -n 'carton ps --format json' "$carton $(R carton) ps --format json s1" \
  -n 'runc ps --format json' "runc $(R runc) ps --format json s1" \
  -n 'carton events --stats' "$carton $(R carton) events --stats s1" \
  -n 'runc events --stats' "runc $(R runc) events --stats s1" >&2
# exec of /bin/true into a running container
"$carton" $(R carton) run -d -b "$sleepy" r1 </dev/null >/dev/null 2>&1
runc $(R runc) run -d -b "$sleepy" r1 </dev/null >/dev/null 2>&1
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/exec.json" \
  -n 'carton exec /bin/true' "$carton $(R carton) exec r1 /bin/true" \
  -n 'runc exec /bin/true' "runc $(R runc) exec r1 /bin/true" >&2
# pause and resume alternate, so they are timed as a pair
hyperfine --warmup 3 --runs "$runs" --export-json "$work/pause.json" \
  -n 'carton pause+resume' "$carton $(R carton) pause s1 && $carton $(R carton) resume s1" \
  -n 'runc pause+resume' "runc $(R runc) pause s1 && runc $(R runc) resume s1" >&2

# Resident memory left behind by a container in "created": every process the
# create left running (carton: carton-init; runc: runc init).
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
mem_carton=$(rss "$("$carton" $(R carton) state s1 | node -pe 'JSON.parse(require("fs").readFileSync(0)).pid')")
mem_runc=$(rss "$(runc $(R runc) state s1 | node -pe 'JSON.parse(require("fs").readFileSync(0)).pid')")
node bench/report.mjs "$work" "$mem_carton" "$mem_runc"
