#!/usr/bin/env bash
# Pod density through containerd's CRI plugin: carton's shim vs runc's
# (bench/pods.ts: N pods of pause + one sleep container, N = 1, 10, 30; Pss
# of every shim and container process per pod, start time per pod).
# Usage: bash bench/pods.sh [--counts 1,10,30] [--reps R] [--group pod|namespace]   (as root; needs containerd, ctr, runc)
# (CARTON_SHIM_GROUP: unset or namespace, every pod on the namespace's one carton shim; pod, one each)
set -euo pipefail
cd "$(dirname "$0")/.."
unset NODE_EXTRA_CA_CERTS
for b in containerd ctr runc; do command -v $b >/dev/null || { echo "bench/pods.sh: needs $b" >&2; exit 1; }; done
[[ -f dist/shim.js ]] || { echo "bench/pods.sh: dist/shim.js missing (npm run build:ts)" >&2; exit 1; }
out=$(mktemp -d /tmp/carton-podbench-js.XXXXXX)
trap 'rm -rf "$out"' EXIT
# The TypeScript bench and the test helpers it uses, bundled; __dirname is
# test/'s, as every module it uses is one directory below the checkout.
node_modules/.bin/esbuild bench/pods.ts --bundle --platform=node --log-level=warning --outfile="$out/pods.js" \
  --external:@grpc/grpc-js --external:@grpc/proto-loader --define:__dirname="\"$PWD/test\""
NODE_PATH=$PWD/node_modules node "$out/pods.js" "$@"
