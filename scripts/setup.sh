#!/usr/bin/env bash
# One-time setup on a fresh Debian 12 machine (as root): system packages,
# npm dependencies, the native addon and carton-init, the TypeScript bundle,
# the busybox rootfs of the demo bundle, and `carton` (the executable dist/carton) on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

# crun, time: bench/run.sh (crun beside runc; GNU time for peak memory).
# podman + conmon, containerd, docker.io: the engine integration tests (test/integration/{podman,containerd,docker}.test.ts).
# clang-format: `npm run format:check` over native/ (.clang-format).
# containerd, gogo and cgroups .proto files: the shim's protobuf types (scripts/gen-shim-proto.mjs).
# systemd: a real one runs (in namespaces of its own) for the --systemd-cgroup tests (test/systemd-ns.ts).
need=(busybox-static build-essential python3 runc crun time hyperfine procps iproute2 tmux libseccomp-dev clang-format podman conmon containerd docker.io systemd
  golang-github-containerd-containerd-dev golang-github-gogo-protobuf-dev golang-github-gogo-googleapis-dev golang-github-containerd-cgroups-dev)
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node's headers for node-gyp come from the machine (nodedir), never a download.
if [[ -z ${npm_config_nodedir:-} && -f /usr/include/node/node_api.h ]]; then export npm_config_nodedir=/usr; fi
npm ci --no-audit --no-fund --loglevel=error
npx node-gyp rebuild --loglevel=warn >/dev/null
npm run --silent build:ts
bash scripts/make-rootfs.sh
# carton on PATH is the shipped executable (dist/carton, compiled by build:ts; no Node at run
# time); bin/carton, the Node entry, stays for development.
ln -sf "$PWD/dist/carton" /usr/local/bin/carton
# containerd finds runtime_type io.containerd.carton.v2 as containerd-shim-carton-v2 on its PATH.
ln -sf "$PWD/bin/containerd-shim-carton-v2" /usr/local/bin/containerd-shim-carton-v2
echo "setup: done. carton is $(command -v carton) ($(carton --version | head -1))"
