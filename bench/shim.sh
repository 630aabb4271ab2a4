#!/usr/bin/env bash
# containerd-shim-carton-v2 vs containerd-shim-runc-v2 + runc, side by side
# through ONE containerd (its own temp root/state/socket, PATH with this
# checkout's bin/ so it finds the carton shim):
#  1. wall time of N short containers (`ctr run --rm IMG id /bin/true`),
#     the two runtimes interleaved run by run, total and ratio;
#  2. resident memory per running container: M detached `sleep` containers
#     per runtime, VmRSS of every shim process serving them (carton's: the
#     keeper and the serving Node) plus every container init, summed and
#     divided by M; and carton-keeper's own Rss/Pss (smaps_rollup);
#  3. stall (issue 16): container A (detached) and T (terminal) of one shim
#     print a line every 50 ms while container B of the same shim is created
#     with a 3 s prestart hook: the largest gap between T's lines as `ctr
#     run -t` prints them, and the slowest of `ctr task ps A` run again and
#     again meanwhile; the same measures over 3 s without B, for the host's
#     own noise.
# Usage: bash bench/shim.sh [--runs N] [--running M] [--no-stall] [--out FILE]   (as root; needs containerd, ctr, runc, script)
# --out FILE: the figures as JSON too, for bench/all.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=50
running=10
stall=1
out=
while (($#)); do
  case $1 in
    --no-stall) stall=0; shift ;;
    --out) out=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --running) running=$2; shift 2 ;;
    *) echo "bench/shim.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
# NODE_EXTRA_CA_CERTS triples Node's start-up here and has nothing to do with carton.
unset NODE_EXTRA_CA_CERTS
for b in containerd ctr runc; do command -v $b >/dev/null || { echo "bench/shim.sh: needs $b" >&2; exit 1; }; done
[[ -f dist/shim.js ]] || { echo "bench/shim.sh: dist/shim.js missing (npm run build:ts)" >&2; exit 1; }

work=$(mktemp -d /tmp/carton-shimbench.XXXXXX)
# shellcheck source=bench/lib.sh
source bench/lib.sh
ns=shimbench-$$
sock=$work/containerd.sock
img=localhost/busybox:latest
cpid=
ctr_() { ctr --address "$sock" --namespace "$ns" "$@"; }

cleanup() {
  set +e
  if [[ -n $cpid ]]; then
    for c in $(ctr_ task ls -q 2>/dev/null); do ctr_ task kill -s KILL "$c" >/dev/null 2>&1; done
    sleep 0.5
    for c in $(ctr_ container ls -q 2>/dev/null); do ctr_ task delete --force "$c" >/dev/null 2>&1; ctr_ container rm "$c" >/dev/null 2>&1; done
    # Shims outlive containerd: ours name our socket on their command line (by pid, never by
    # name). SIGTERM first, so they remove their sockets in /run/containerd/s themselves.
    shimpids() {
      for f in /proc/[0-9]*/cmdline; do
        c=$( { tr '\0' ' ' < "$f"; } 2>/dev/null ) || continue
        if [[ $c == *containerd-shim* && $c == *"$sock"* ]]; then p=${f#/proc/}; echo "${p%/cmdline}"; fi
      done
    }
    for p in $(shimpids); do kill -TERM "$p" 2>/dev/null; done
    for _ in $(seq 50); do [[ -z $(shimpids) ]] && break; sleep 0.1; done
    for p in $(shimpids); do kill -KILL "$p" 2>/dev/null; done
    kill -TERM "$cpid" 2>/dev/null
    for _ in $(seq 50); do [[ -d /proc/$cpid ]] || break; sleep 0.1; done
    kill -KILL "$cpid" 2>/dev/null
  fi
  grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
  # The carton shim's socket, should it have been killed (src/shim/address.ts).
  rm -f "/run/containerd/s/$(printf '%s' "$sock/$ns/carton/shared" | sha256sum | cut -d' ' -f1)"
  rm -rf "$work" "/run/containerd/carton/$ns" "/run/containerd/runc/$ns"
  rmdir_containerd_run
  for h in /sys/fs/cgroup/*; do rmdir "$h/$ns" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The image: one layer, the busybox rootfs (no registry).
mkdir -p "$work/img"
tar -C bundles/busybox/rootfs -cf "$work/img/layer.tar" .
diff=$(sha256sum "$work/img/layer.tar" | cut -d' ' -f1)
printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$diff" > "$work/img/config.json"
cfg=$(sha256sum "$work/img/config.json" | cut -d' ' -f1)
mv "$work/img/config.json" "$work/img/$cfg.json"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["layer.tar"]}]' "$cfg" "$img" > "$work/img/manifest.json"
tar -C "$work/img" -cf "$work/busybox.tar" manifest.json "$cfg.json" layer.tar

containerd_toml "$work" "$sock" >"$work/containerd.toml"
PATH=$PWD/bin:$PATH setsid containerd --config "$work/containerd.toml" >"$work/containerd.log" 2>&1 </dev/null &
cpid=$!
for _ in $(seq 100); do [[ -S $sock ]] && break; sleep 0.1; done
[[ -S $sock ]] || { echo "bench/shim.sh: containerd did not start: $(tail -5 "$work/containerd.log")" >&2; exit 1; }
ctr_ image import "$work/busybox.tar" >/dev/null

declare -A rt=([carton]=io.containerd.carton.v2 [runc]=io.containerd.runc.v2)
declare -A total=([carton]=0 [runc]=0)
now() { date +%s%N; }

# One warm-up each (page cache, snapshotter), not counted.
for r in carton runc; do ctr_ run --rm --runtime "${rt[$r]}" "$img" "warm-$r" /bin/true; done
for i in $(seq "$runs"); do
  for r in carton runc; do
    t0=$(now)
    ctr_ run --rm --runtime "${rt[$r]}" "$img" "s$i-$r" /bin/true
    total[$r]=$(( total[$r] + $(now) - t0 ))
  done
done

rss_kib() { { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; } 2>/dev/null || echo 0; }
declare -A mem
for r in carton runc; do
  for i in $(seq "$running"); do ctr_ run -d --runtime "${rt[$r]}" "$img" "m$i-$r" sleep 1000 >/dev/null; done
  sleep 1
  sum=0
  shims=$(for f in /proc/[0-9]*/cmdline; do
    c=$( { tr '\0' ' ' < "$f"; } 2>/dev/null ) || continue
    if [[ $c == *containerd-shim-$r-v2* && $c == *"$sock"* ]]; then p=${f#/proc/}; echo "${p%/cmdline}"; fi
  done)
  nshims=0
  for p in $shims; do
    sum=$(( sum + $(rss_kib "$p") )); nshims=$((nshims + 1))
    if [[ $(head -c 200 "/proc/$p/cmdline" 2>/dev/null | tr '\0' ' ') == *carton-keeper* ]]; then
      keeper_mem=$(awk '/^Rss:/ {r=$2} /^Pss:/ {p=$2} END {print r " KiB Rss, " p " KiB Pss"}' "/proc/$p/smaps_rollup")
    fi
  done
  for i in $(seq "$running"); do
    p=$(ctr_ task ls | awk -v id="m$i-$r" '$1 == id {print $2}')
    sum=$(( sum + $(rss_kib "$p") ))
  done
  mem[$r]=$sum
  eval "nshims_$r=$nshims"
  for i in $(seq "$running"); do ctr_ task kill -s KILL "m$i-$r" >/dev/null; done
  sleep 0.5
  for i in $(seq "$running"); do ctr_ task delete "m$i-$r" >/dev/null 2>&1 || ctr_ task delete --force "m$i-$r" >/dev/null; ctr_ container rm "m$i-$r" >/dev/null; done
done

# 3. The stall: one measure = "<largest gap in T, ms> <slowest ctr task ps A, ms> <ps calls>"
# over the time `$1` (a pid) lives.
measure() {
  local busy=$1 from to s d maxps=0 n=0
  from=$(now)
  while kill -0 "$busy" 2>/dev/null; do
    s=$(now); ctr_ task ps "sa-$r" >/dev/null; d=$(( $(now) - s ))
    (( d > maxps )) && maxps=$d; n=$((n + 1))
  done
  to=$(now)
  sleep 0.3
  # the gaps between T's arrival times in [from, to], counting the ones straddling its ends
  awk -v from="$from" -v to="$to" -v ps="$maxps" -v n="$n" '
    { t = $1 }
    t < from { prev = t; next }
    { if (prev) { g = t - prev; if (g > max) max = g } prev = t; if (t > to) exit }
    END { printf "%.0f %.0f %d\n", max / 1e6, ps / 1e6, n }' "$work/t-$r.times"
}
declare -A quiet busy
if ((stall)); then
  hooked=$work/b-hook.json
  node -e '
    const [src, out, flag] = process.argv.slice(1);
    const s = JSON.parse(require("fs").readFileSync(src, "utf8"));
    s.root = { path: require("path").resolve(process.argv[4]), readonly: true };
    s.process.terminal = false;
    s.process.args = ["sleep", "1000"];
    s.linux.cgroupsPath = "CGPATH";
    s.hooks = { prestart: [{ path: "/bin/sh", args: ["sh", "-c", `touch ${flag}; sleep 3`] }] };
    require("fs").writeFileSync(out, JSON.stringify(s));
  ' bundles/busybox/config.json "$hooked" "$work/hook-started" bundles/busybox/rootfs
  for r in carton runc; do
    loop='while :; do echo x; usleep 50000; done'
    ctr_ run -d --runtime "${rt[$r]}" "$img" "sa-$r" sh -c "$loop" >/dev/null
    # ctr -t wants a terminal: script(1) gives it one; each line of T gets its arrival time.
    # Its stdin: a fifo this shell holds open (no input, no EOF).
    mkfifo "$work/tin-$r"; exec 7<>"$work/tin-$r"
    ( script -qfec "ctr --address $sock --namespace $ns run --rm -t --runtime ${rt[$r]} $img st-$r sh -c '$loop'" /dev/null <"$work/tin-$r" |
      while IFS= read -r _; do date +%s%N; done > "$work/t-$r.times" ) &
    tpid=$!
    sleep 2
    sleep 3 & quiet[$r]=$(measure $!)
    rm -f "$work/hook-started"
    sed "s|CGPATH|/$ns/sb-$r|" "$hooked" > "$work/b-$r.json"
    ctr_ run -d --runtime "${rt[$r]}" --config "$work/b-$r.json" "sb-$r" >/dev/null &
    bpid=$!
    for _ in $(seq 100); do [[ -e $work/hook-started ]] && break; sleep 0.05; done
    busy[$r]=$(measure $bpid)
    for c in sa-$r sb-$r st-$r; do ctr_ task kill -s KILL "$c" >/dev/null 2>&1; done
    wait "$tpid" 2>/dev/null || true
    exec 7>&-
    sleep 0.5
    for c in sa-$r sb-$r; do ctr_ task delete "$c" >/dev/null 2>&1 || ctr_ task delete --force "$c" >/dev/null 2>&1; ctr_ container rm "$c" >/dev/null 2>&1; done
  done
fi

ms() { awk -v n="$1" 'BEGIN { printf "%.0f", n / 1e6 }'; }
echo "## containerd shims: carton vs runc (containerd $(containerd --version | awk '{print $3}'), $(nproc) cores)"
echo
echo "| | io.containerd.carton.v2 | io.containerd.runc.v2 (runc) | carton / runc |"
echo "|---|---|---|---|"
printf '| %d x ctr run --rm /bin/true, total | %s ms | %s ms | %s |\n' "$runs" "$(ms "${total[carton]}")" "$(ms "${total[runc]}")" "$(awk -v a="${total[carton]}" -v b="${total[runc]}" 'BEGIN { printf "%.2f", a / b }')"
printf '| per container | %s ms | %s ms | |\n' "$(ms $((total[carton] / runs)))" "$(ms $((total[runc] / runs)))"
printf '| RSS per running container (shims + init, %d running) | %s MiB | %s MiB | %s |\n' "$running" \
  "$(awk -v k="${mem[carton]}" -v n="$running" 'BEGIN { printf "%.1f", k / n / 1024 }')" \
  "$(awk -v k="${mem[runc]}" -v n="$running" 'BEGIN { printf "%.1f", k / n / 1024 }')" \
  "$(awk -v a="${mem[carton]}" -v b="${mem[runc]}" 'BEGIN { printf "%.2f", a / b }')"
echo "| shim processes for $running containers | $nshims_carton | $nshims_runc | |"
echo "| of which carton-keeper (survives a crash of the serving shim) | ${keeper_mem:-?} | | |"
if ((stall)); then
  read -r qg_c qp_c qn_c <<< "${quiet[carton]}"; read -r bg_c bp_c bn_c <<< "${busy[carton]}"
  read -r qg_r qp_r qn_r <<< "${quiet[runc]}"; read -r bg_r bp_r bn_r <<< "${busy[runc]}"
  echo "| largest gap in a terminal container's output while another container's 3 s prestart hook runs (without it) | $bg_c ms ($qg_c ms) | $bg_r ms ($qg_r ms) | |"
  echo "| slowest ctr task ps A meanwhile, of $bn_c / $bn_r calls (without it) | $bp_c ms ($qp_c ms) | $bp_r ms ($qp_r ms) | |"
fi

if [[ -n $out ]]; then
  node -e '
    const a = process.argv.slice(1);
    const [runs, running, tc, tr, mc, mr, nc, nr, stall, qc, bc, qr, br] = a;
    const st = (q, b) => {
      const [qg, qp, qn] = q.split(" ").map(Number), [bg, bp, bn] = b.split(" ").map(Number);
      return { quietGapMs: qg, quietPsMs: qp, quietPsCalls: qn, busyGapMs: bg, busyPsMs: bp, busyPsCalls: bn };
    };
    const r = { runs: +runs, running: +running, totalNs: { carton: +tc, runc: +tr }, rssKiB: { carton: +mc, runc: +mr }, shims: { carton: +nc, runc: +nr } };
    if (stall === "1") r.stall = { carton: st(qc, bc), runc: st(qr, br) };
    require("fs").writeFileSync(a[a.length - 1], JSON.stringify(r, null, 1) + "\n");
  ' "$runs" "$running" "${total[carton]}" "${total[runc]}" "${mem[carton]}" "${mem[runc]}" "$nshims_carton" "$nshims_runc" "$stall" \
    "${quiet[carton]:-}" "${busy[carton]:-}" "${quiet[runc]:-}" "${busy[runc]:-}" "$out"
fi
