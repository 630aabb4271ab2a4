#!/usr/bin/env bash
# The heavier side-by-side figures of issues 8 and 15, for the runtimes of
# bench/lib.sh (carton, carton (Node), runc, crun and runc wrapped), in one run:
#  - `list` with N containers (default 1000; stopped ones: no memory held).
#    carton and carton (Node) list one root, runc and runc wrapped another;
#    crun is left out (its own 1000 containers would cost minutes more);
#  - `run /bin/true` under a 512 KiB memory limit (works or not, and the
#    error), and the smallest limit of a ladder under which it works;
#  - 50 concurrent `create`s (R times, interleaved): the wall time, and the
#    memory the 50 created containers leave resident (the Rss and Pss of each
#    container's process, from the runtime's `state` pid).
# Usage: bash bench/extended.sh [--list N] [--list-runs N] [--reps R] [--out FILE]
# (as root; hyperfine, runc; crun optional). --out FILE: the figures as JSON, for bench/all.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
nlist=1000 listruns=10 reps=3 out=
while (($#)); do
  case $1 in
    --list) nlist=$2; shift 2 ;;
    --list-runs) listruns=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "bench/extended.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v hyperfine >/dev/null && command -v runc >/dev/null || { echo "bench/extended.sh: needs hyperfine and runc" >&2; exit 1; }
[[ -x dist/carton ]] || { echo "bench/extended.sh: dist/carton missing (npm run build:ts)" >&2; exit 1; }
work=$(mktemp -d /tmp/carton-bench.XXXXXX)
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
mkbundle "$work/true" '["/bin/true"]'
mkbundle "$work/sleep" '["sleep","1000"]'
res=$work/res.jsonl # one JSON object per line: {"fig", "rt", ...}
touch "$res"
# put JSON-LINE: one figure more, and the JSON file (--out, else $work/extended.json)
# rewritten, so that a run cut short keeps what it measured
json=${out:-$work/extended.json}
put() {
  echo "$1" >>"$res"
  node -e 'const fs = require("fs"); const lines = fs.readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
    fs.writeFileSync(process.argv[2], JSON.stringify(lines.map((l) => JSON.parse(l)), null, 1) + "\n")' "$res" "$json"
}
jstr() { printf '%s' "$1" | node -e 'process.stdout.write(JSON.stringify(require("fs").readFileSync(0, "utf8")))'; }
log() { echo "bench/extended.sh: $(date -u +%T) $*" >&2; }

# ---- list of N
# the root each runtime lists: carton (Node) lists carton's, runc wrapped lists runc's
declare -A lroot=([carton]=carton [carton-node]=carton [runc]=runc [runc-w]=runc)
log "list of $nlist: creating $nlist containers for carton and for runc"
for owner in carton runc; do
  root=$work/root-$owner-list
  seq "$nlist" | xargs -P 4 -I{} ${cmd[$owner]} --root "$root" run -d -b "$work/true" "$tag-l{}" >/dev/null 2>"$work/err-$owner" || true
  have=$( (ls "$root" 2>/dev/null || true) | wc -l)
  [[ $have == "$nlist" ]] || log "$owner made $have of $nlist containers: $(first_err "$work/err-$owner")"
done
for n in carton carton-node runc runc-w crun-w; do
  [[ -n ${cmd[$n]:-} ]] || continue
  if [[ -z ${lroot[$n]:-} ]]; then
    put "{\"fig\":\"list\",\"rt\":\"$n\",\"skip\":\"not run: $nlist crun containers of its own would cost minutes more\"}"
    continue
  fi
  root=$work/root-${lroot[$n]}-list
  have=$( (ls "$root" 2>/dev/null || true) | wc -l)
  if [[ $have != "$nlist" ]]; then
    put "{\"fig\":\"list\",\"rt\":\"$n\",\"fail\":\"only $have of $nlist containers could be made\"}"
  elif hyperfine -N --warmup 2 --runs "$listruns" --style none --export-json "$work/list-$n.json" -n "$n" \
    "${cmd[$n]} --root $root list" >/dev/null 2>"$work/err"; then
    put "$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results[0];
      console.log(JSON.stringify({ fig: "list", rt: process.argv[2], median: r.median, runs: r.times.length, n: +process.argv[3] }))' \
      "$work/list-$n.json" "$n" "$nlist")"
  else
    put "{\"fig\":\"list\",\"rt\":\"$n\",\"fail\":$(jstr "$(first_err "$work/err")")}"
  fi
done
log "list: deleting the $nlist containers"
delete_all

# ---- run /bin/true under a memory limit
ladder=(512 768 1024 1536 2048 3072 4096 6144 8192 16384)
for kib in "${ladder[@]}"; do mkbundle "$work/mem-$kib" '["/bin/true"]' $((kib * 1024)); done
for n in "${names[@]}"; do
  log "memory limit: $n"
  smallest= err512=
  for kib in "${ladder[@]}"; do
    if $(rt "$n" -mem) run -b "$work/mem-$kib" "$tag-$n-m$kib" </dev/null >/dev/null 2>"$work/err"; then
      smallest=$kib
      break
    fi
    [[ $kib == 512 ]] && err512=$(first_err "$work/err")
    $(rt "$n" -mem) delete --force "$tag-$n-m$kib" >/dev/null 2>&1 || true
  done
  put "$(node -e 'const [rt, s, e] = process.argv.slice(1);
    console.log(JSON.stringify({ fig: "memlimit", rt, works512: s === "512", smallest: s ? +s : null, error: e || undefined }))' \
    "$n" "$smallest" "$err512")"
done

# ---- 50 concurrent creates
# pid's Rss and Pss in KiB ("0 0" when it is gone)
mem_of() { awk '/^Rss:/ {r = $2} /^Pss:/ {p = $2} END {print r + 0, p + 0}' "/proc/$1/smaps_rollup" 2>/dev/null || echo "0 0"; }
conc() { # runtime rep -> one JSON line
  local n=$1 rep=$2 root=$work/root-$1-conc t0 t1 i pid ok=0 rss=0 pss=0 r p
  t0=$(date +%s%N)
  for i in $(seq 50); do $(rt "$n" -conc) create -b "$work/sleep" "$tag-$n-c$rep-$i" </dev/null >/dev/null 2>"$work/cerr-$i" & done
  wait
  t1=$(date +%s%N)
  # every container's pid from one `list` (50 `state` calls would cost more than the creates)
  for pid in $($(rt "$n" -conc) list --format json 2>/dev/null | node -e '
    const l = JSON.parse(require("fs").readFileSync(0, "utf8") || "[]") ?? [];
    for (const c of l) if (c.status === "created" && c.pid > 0) console.log(c.pid)' 2>/dev/null); do
    ok=$((ok + 1))
    read -r r p < <(mem_of "$pid")
    rss=$((rss + r)) pss=$((pss + p))
  done
  local err=
  ((ok == 50)) || err=$(cat "$work"/cerr-* | grep -v '^\s*$' | head -1 | cut -c1-160)
  echo "{\"fig\":\"conc\",\"rt\":\"$n\",\"rep\":$rep,\"ms\":$(((t1 - t0) / 1000000)),\"ok\":$ok,\"rssKiB\":$rss,\"pssKiB\":$pss,\"error\":$(jstr "$err")}"
  rm -f "$work"/cerr-*
  ls "$root" 2>/dev/null | xargs -r -P 4 -I{} ${cmd[$n]} --root "$root" delete --force {} >/dev/null 2>&1 || true
}
for rep in $(seq "$reps"); do
  for n in "${names[@]}"; do
    log "50 concurrent creates: $n, $rep of $reps"
    put "$(conc "$n" "$rep")"
  done
done

[[ -n $out ]] || node bench/report.mjs --only extended "$work/extended.json"
