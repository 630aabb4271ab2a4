#!/usr/bin/env bash
# Builds a busybox root filesystem from Debian's busybox-static into $1
# (default: bundles/busybox/rootfs). Nothing binary is committed: the rootfs
# is made from the installed package on each machine.
set -euo pipefail
dest=${1:-"$(cd "$(dirname "$0")/.." && pwd)/bundles/busybox/rootfs"}
bb=/bin/busybox
[[ -x $bb ]] || { echo "make-rootfs: $bb missing: apt-get install busybox-static" >&2; exit 1; }
if [[ -x $dest/bin/busybox ]] && cmp -s "$bb" "$dest/bin/busybox"; then exit 0; fi
tmp=$(mktemp -d "${dest%/*}/.rootfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,dev,etc,proc,sys,tmp,root,home,var,run,usr/bin,usr/sbin,sbin}
chmod 1777 "$tmp/tmp"
cp "$bb" "$tmp/bin/busybox"
for applet in $("$bb" --list); do
  [[ $applet == busybox ]] || ln -s busybox "$tmp/bin/$applet"
done
cat > "$tmp/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$tmp/etc/group" <<'G'
root:x:0:
daemon:x:1:
tty:x:5:
nogroup:x:65534:
G
echo carton > "$tmp/etc/hostname"
chmod 755 "$tmp"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
