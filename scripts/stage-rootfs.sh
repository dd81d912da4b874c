#!/usr/bin/env bash
# The root filesystem of one image, and nothing else in it:
#
#   scripts/stage-rootfs.sh BINARY PRODUCT ROOT
#
# writes into ROOT (emptied first):
#   /usr/local/bin/PRODUCT               the binary, stripped (the Swift runtime is linked in
#                                        statically: swift build --static-swift-stdlib)
#   the shared libraries ldd lists       at the paths ldd prints, the dynamic loader among them
#   /etc/ssl/certs/ca-certificates.crt   Debian's CA bundle, where BoringSSL (swift-nio-ssl) looks
#   /etc/passwd, /etc/group              the user and group 65532 (nonroot), which the pods run as
#   /data                                (usage-collector only) empty, owned by 65532: the SQLite
#                                        default ./usage.sqlite lands there
# and prints the file list. Both scripts/build-images.sh and the Dockerfile run this, so the two
# images have the same files.
#
# A static binary (no program interpreter: a Swift SDK's aarch64-swift-linux-musl build, for the
# arm64 image) gets no libraries. A binary of another architecture must be static: the host's
# ldd cannot list its libraries, and the host's libraries are not its. STAGE_STRIP names the
# stripping tool (default strip; build-images.sh gives llvm-objcopy --strip-all for arm64).
set -euo pipefail
binary=$1 product=$2 root=$3

[ -f /etc/ssl/certs/ca-certificates.crt ] || { echo "stage-rootfs: /etc/ssl/certs/ca-certificates.crt is missing (apt-get install ca-certificates)" >&2; exit 1; }
rm -rf "$root"
mkdir -p "$root"
install -D -m 0755 "$binary" "$root/usr/local/bin/$product"
# Stripped of symbols, and of the two sections that differ between clones of one commit in
# different folders: .swift_modhash (module hashes for a debugger, which depend on the build
# path) and the build ID computed over it. No debug information ships, so neither has a reader.
read -ra strip_tool <<<"${STAGE_STRIP:-strip}"
"${strip_tool[@]}" --remove-section=.swift_modhash --remove-section=.note.gnu.build-id "$root/usr/local/bin/$product"

# A program interpreter (the dynamic loader) in the program headers means shared libraries;
# readelf (binutils, beside strip) reads the headers of any architecture's ELF files.
case $(readelf -hW "$binary" | awk -F: '$1 ~ /Machine/ { gsub(/^ +/, "", $2); print $2 }') in
    "Advanced Micro Devices X86-64") machine=x86_64 ;;
    AArch64) machine=aarch64 ;;
    *) machine=other ;;
esac
dynamic=false
if readelf -lW "$binary" | grep 'Requesting program interpreter' >/dev/null; then dynamic=true; fi
if $dynamic && [ "$machine" != "$(uname -m)" ]; then
    echo "stage-rootfs: $binary is a dynamically linked $machine binary; the host's ldd cannot list its libraries (build it static, as the Static Linux SDK does)" >&2
    exit 1
fi

# Each library at the path the loader was seen to open, with the content of the file it names
# (on Debian /lib is /usr/lib, so no link is needed inside the image); the loader itself is the
# line without "=>".
if $dynamic; then
    ldd "$root/usr/local/bin/$product" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
        while read -r library; do
            install -D -m 0755 "$(readlink -f "$library")" "$root$library"
        done
fi

install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
printf 'nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin\n' >"$root/etc/passwd"
printf 'nonroot:x:65532:\n' >"$root/etc/group"
chmod 0644 "$root/etc/passwd" "$root/etc/group"
if [ "$product" = usage-collector ]; then
    mkdir -m 0755 "$root/data"
    chown 65532:65532 "$root/data"
fi
(cd "$root" && find . -mindepth 1 \( -type f -o -type d -empty \) | sed 's|^\.||' | sort)
