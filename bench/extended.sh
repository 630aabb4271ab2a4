#!/usr/bin/env bash
# The heavier side-by-side figures of issue 8, each carton vs runc in one run:
#  - `list` with 1, 100 and 1000 containers (stopped ones: no memory held);
#  - `kill` (SIGCONT to a running container);
#  - the smallest linux.resources.memory.limit under which `run /bin/true` works;
#  - 50 concurrent `create`s: wall time and the resident memory they leave.
# Usage: bash bench/extended.sh [--max-list N]   (as root; needs hyperfine, runc)
set -euo pipefail
cd "$(dirname "$0")/.."
maxlist=1000
[[ ${1:-} == --max-list ]] && maxlist=$2
unset NODE_EXTRA_CA_CERTS
carton=$PWD/dist/carton # the shipped executable
work=$(mktemp -d /tmp/carton-bench.XXXXXX)
rt_bin() { [[ $1 == carton ]] && echo "$carton" || echo runc; }
cleanup() {
  for rt in carton runc; do
    for root in "$work"/root-"$rt"*; do
      [[ -d $root ]] || continue
      for id in $(ls "$root"); do "$(rt_bin "$rt")" --root "$root" delete --force "$id" >/dev/null 2>&1 || true; done
    done
  done
  rm -rf "$work"
}
trap cleanup EXIT

mkbundle() { # dir, args-json, [memory-limit]
  mkdir -p "$1"
  node -e '
    const [file, args, mem] = process.argv.slice(1);
    const s = JSON.parse(require("fs").readFileSync("bundles/busybox/config.json", "utf8"));
    s.process.args = JSON.parse(args);
    s.root.path = require("path").resolve("bundles/busybox/rootfs");
    if (mem) s.linux.resources.memory = { limit: Number(mem) };
    require("fs").writeFileSync(file, JSON.stringify(s));
  ' "$1/config.json" "$2" "${3:-}"
}
mkbundle "$work/true" '["/bin/true"]'
mkbundle "$work/sleep" '["sleep","1000"]'

echo "## list with N containers (each created and run to completion)"
for n in 1 100 $maxlist; do
  for rt in carton runc; do
    root=$work/root-$rt-list
    have=$( (ls "$root" 2>/dev/null || true) | wc -l)
    for ((i = have; i < n; i++)); do
      "$(rt_bin $rt)" --root "$root" run -d -b "$work/true" "l$i" </dev/null >/dev/null 2>&1
    done
  done
  hyperfine -N --warmup 3 --runs 20 --export-json "$work/list-$n.json" \
    -n "carton list ($n)" "$carton --root $work/root-carton-list list" \
    -n "runc list ($n)" "runc --root $work/root-runc-list list" >/dev/null
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
    console.log(`| list, ${process.argv[2]} containers | ${(r[0].mean*1e3).toFixed(1)} ms | ${(r[1].mean*1e3).toFixed(1)} ms | **${(r[0].mean/r[1].mean).toFixed(2)}×** |`);
  ' "$work/list-$n.json" "$n"
done

echo "## kill"
"$carton" --root "$work/root-carton" run -d -b "$work/sleep" k1 </dev/null >/dev/null 2>&1
runc --root "$work/root-runc" run -d -b "$work/sleep" k1 </dev/null >/dev/null 2>&1
hyperfine -N --warmup 3 --runs 30 --export-json "$work/kill.json" \
  -n 'carton kill' "$carton --root $work/root-carton kill k1 CONT" \
  -n 'runc kill' "runc --root $work/root-runc kill k1 CONT" >/dev/null
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
  console.log(`| kill | ${(r[0].mean*1e3).toFixed(1)} ms | ${(r[1].mean*1e3).toFixed(1)} ms | **${(r[0].mean/r[1].mean).toFixed(2)}×** |`);
' "$work/kill.json"

echo "## smallest memory limit for run /bin/true"
smallest() { # runtime
  local kib
  for kib in 512 768 1024 1536 2048 3072 4096 6144 8192 16384; do
    mkbundle "$work/mem-$kib" '["/bin/true"]' $((kib * 1024))
    if "$(rt_bin "$1")" --root "$work/root-$1-mem" run -b "$work/mem-$kib" "m$kib" </dev/null >/dev/null 2>&1; then echo "$kib"; return; fi
    "$(rt_bin "$1")" --root "$work/root-$1-mem" delete --force "m$kib" >/dev/null 2>&1 || true
  done
  echo ">16384"
}
mc=$(smallest carton); mr=$(smallest runc)
echo "| smallest memory.limit for run /bin/true | ${mc} KiB | ${mr} KiB | |"

echo "## 50 concurrent creates"
conc() { # runtime -> "wall_ms rss_kib"
  local root=$work/root-$1-conc t0 t1 rss=0 pid
  t0=$(date +%s%N)
  for i in $(seq 50); do "$(rt_bin "$1")" --root "$root" create -b "$work/sleep" "p$i" </dev/null >/dev/null 2>&1 & done
  wait
  t1=$(date +%s%N)
  for i in $(seq 50); do
    pid=$("$(rt_bin "$1")" --root "$root" state "p$i" 2>/dev/null | node -pe 'JSON.parse(require("fs").readFileSync(0)).pid' 2>/dev/null || echo 0)
    [[ $pid -gt 0 ]] && rss=$((rss + $(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")))
  done
  echo "$(((t1 - t0) / 1000000)) $rss"
}
read -r wc rc < <(conc carton); read -r wr rr < <(conc runc)
echo "| 50 concurrent creates: wall time | ${wc} ms | ${wr} ms | **$(node -pe "($wc/$wr).toFixed(2)")×** |"
echo "| 50 concurrent creates: resident memory left | $((rc / 1024)) MiB | $((rr / 1024)) MiB | **$(node -pe "($rc/$rr).toFixed(2)")×** |"
