#!/usr/bin/env bash
# The two release images, usage-agent and usage-collector, built without a container daemon and
# without pulling a base image (README, "Images"):
#
#   scripts/build-images.sh                              # as root (buildah's vfs storage needs it)
#   scripts/build-images.sh --arm64-swift-sdk NAME       # also linux/arm64, cross-built (below)
#
# 1. release binaries with the Swift runtime linked in (--static-swift-stdlib);
# 2. each root filesystem from scripts/stage-rootfs.sh: the stripped binary, the shared libraries
#    ldd lists, Debian's CA bundle, /etc/passwd and /etc/group for 65532, nothing else;
# 3. committed with buildah (from scratch, vfs storage of its own under $IMAGES_OUT), with OCI
#    labels and annotations (source, version, revision, licenses), the platform in the image
#    config (os linux, architecture amd64), every timestamp set to the commit's time, so that two
#    builds of one commit give the same layer;
# 4. one OCI image index per product naming each image's platform (linux/amd64), so that a push
#    of the index (skopeo copy --all) carries it to the registry, written as an OCI archive
#    ($IMAGES_OUT/PRODUCT.oci.tar) and into one OCI layout ($IMAGES_OUT/oci: ref PRODUCT is the
#    index, ref PRODUCT-linux-amd64 its amd64 image, for umoci and the image tests), with an
#    SPDX SBOM each ($IMAGES_OUT/PRODUCT.spdx.json) and a size summary ($IMAGES_OUT/images.txt).
#
# linux/arm64 (Graviton): --arm64-swift-sdk NAME (or IMAGE_ARM64_SWIFT_SDK=NAME) cross-builds the
# binaries with `swift build --swift-sdk NAME`, for a Swift SDK installed with `swift sdk install`
# whose binaries are static (the Static Linux SDK's aarch64-swift-linux-musl: nothing for ldd to
# list), stages them beside the amd64 ones, commits them with architecture arm64, and puts both
# platforms in each index (refs PRODUCT-linux-arm64 in the layout). The SBOMs describe the amd64
# images. This path is not run by .ci/run: the machines this is built on have no aarch64 Swift
# SDK, so only linux/amd64 is built and tested here.
#
# The tag is the one the manifests name: public.ecr.aws/kubeflow-on-aws/PRODUCT:VERSION, VERSION
# being the release's (Sources/UsageTrackingCore/ReleaseVersion.swift). Push and pin: README, "Images".
set -euo pipefail
cd "$(dirname "$0")/.."

arm64_sdk=${IMAGE_ARM64_SWIFT_SDK:-}
while [ $# -gt 0 ]; do
    case $1 in
        --arm64-swift-sdk) [ $# -ge 2 ] || { echo "build-images: --arm64-swift-sdk needs the name of a Swift SDK (swift sdk list)" >&2; exit 64; }
            arm64_sdk=$2; shift 2 ;;
        --arm64-swift-sdk=*) arm64_sdk=${1#*=}; shift ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) echo "build-images: unknown argument $1 (--arm64-swift-sdk NAME, --help)" >&2; exit 64 ;;
    esac
done

out=${IMAGES_OUT:-$PWD/.build-images}
registry=${IMAGE_REGISTRY:-public.ecr.aws/kubeflow-on-aws}
# The distribution this component ships in (awslabs/kubeflow-manifests) is Apache-2.0.
licenses=${IMAGE_LICENSES:-Apache-2.0}
source_url=${IMAGE_SOURCE:-https://github.com/awslabs/kubeflow-manifests}
version=$(sed -n 's/.*public static let current = "\(.*\)".*/\1/p' Sources/UsageTrackingCore/ReleaseVersion.swift)
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || echo "build-images: the work tree has uncommitted changes; the images are labelled $revision all the same" >&2
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)

for tool in buildah skopeo strip readelf ldd python3; do
    command -v "$tool" >/dev/null || { echo "build-images: $tool is missing (apt-get install buildah skopeo binutils; .ci/run does)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "build-images: run as root (buildah's vfs storage and the image's file owners need it)" >&2; exit 1; }

mkdir -p "$out"
# Source paths (in #file strings of preconditions, and in C asserts) as /src/…, not this clone's
# folder: two clones of one commit then build the same binaries.
# The versions Package.resolved pins, exactly (the SBOM lists them).
common=(-c release --static-swift-stdlib --force-resolved-versions
    -Xswiftc -file-prefix-map -Xswiftc "$PWD=/src" -Xcc "-ffile-prefix-map=$PWD=/src")
scratch="$out/swift"
# swift build for one platform: ARCH, then swift build's own arguments.
swift_build() {
    local arch=$1
    shift
    if [ "$arch" = amd64 ]; then
        swift build "${common[@]}" --scratch-path "$scratch" "$@"
    else
        swift build "${common[@]}" --swift-sdk "$arm64_sdk" --scratch-path "$out/swift-$arch" "$@"
    fi
}
platforms=(amd64)
if [ -n "$arm64_sdk" ]; then
    platforms+=(arm64)
    # Fails at once, before any compiling, when no installed SDK answers to the name.
    swift_build arm64 --show-bin-path >/dev/null ||
        { echo "build-images: no installed Swift SDK answers to $arm64_sdk (swift sdk list; swift sdk install ...)" >&2; exit 1; }
fi
declare -A bins
for arch in "${platforms[@]}"; do
    for product in usage-agent usage-collector; do
        swift_build "$arch" --product "$product"
    done
    bins[$arch]=$(swift_build "$arch" --show-bin-path)
done

# The ELF machine of a binary: x86-64 (62) for amd64, AArch64 (183) for arm64.
elf_machine() { python3 -c 'import struct, sys; f = open(sys.argv[1], "rb"); h = f.read(20); print(struct.unpack("<H", h[18:20])[0] if h[:4] == b"\x7fELF" else 0)' "$1"; }
declare -A machine=([amd64]=62 [arm64]=183)

storage=(--storage-driver vfs --root "$out/storage" --runroot "$out/run")
rm -rf "$out/oci"
: >"$out/images.txt"
for product in usage-agent usage-collector; do
    image="$registry/$product:$version"
    index="localhost/$product-index:$version"
    buildah "${storage[@]}" manifest rm "$index" >/dev/null 2>&1 || true
    buildah "${storage[@]}" manifest create "$index" >/dev/null
    for arch in "${platforms[@]}"; do
        bin=${bins[$arch]}
        [ "$(elf_machine "$bin/$product")" = "${machine[$arch]}" ] ||
            { echo "build-images: $bin/$product is not a linux/$arch binary (ELF machine $(elf_machine "$bin/$product"))" >&2; exit 1; }
        if [ "$arch" = amd64 ]; then
            root="$out/rootfs/$product" files="$out/$product.files" strip_tool=strip
        else
            # The host's strip reads only its own architecture; llvm-objcopy (in the Swift toolchain) reads any.
            root="$out/rootfs/$product-$arch" files="$out/$product-$arch.files" strip_tool="llvm-objcopy --strip-all"
        fi
        STAGE_STRIP=$strip_tool scripts/stage-rootfs.sh "$bin/$product" "$product" "$root" >"$files"
        platform_image="$image-linux-$arch"

        container=$(buildah "${storage[@]}" from --quiet scratch)
        trap 'buildah "${storage[@]}" rm "$container" >/dev/null 2>&1 || true' EXIT
        buildah "${storage[@]}" copy --quiet "$container" "$root" / >/dev/null
        config=(--os linux --arch "$arch" --user 65532:65532 --entrypoint "[\"/usr/local/bin/$product\"]")
        if [ "$product" = usage-collector ]; then
            # buildah copy makes every file root's; /data is the one folder 65532 writes to.
            buildah "${storage[@]}" copy --quiet --chown 65532:65532 "$container" "$root/data" /data >/dev/null
            config+=(--workingdir /data --port 8080 --cmd '["serve", "--host", "0.0.0.0", "--port", "8080"]')
        fi
        for name in title=$product version=$version revision=$revision source=$source_url licenses=$licenses created=$created \
            description="Kubeflow on AWS usage tracking: $product"; do
            config+=(--label "org.opencontainers.image.$name" --annotation "org.opencontainers.image.$name")
        done
        buildah "${storage[@]}" config "${config[@]}" "$container"
        buildah "${storage[@]}" commit --quiet --format oci --timestamp "$epoch" --identity-label=false --omit-history \
            --rm "$container" "$platform_image" >/dev/null
        trap - EXIT
        buildah "${storage[@]}" manifest add --os linux --arch "$arch" "$index" "containers-storage:$platform_image" >/dev/null
        # The platform's image alone, for umoci (which unpacks a manifest, not an index of two).
        buildah "${storage[@]}" push --quiet "$platform_image" "oci:$out/oci:$product-linux-$arch"
    done

    # The index, tagged as the manifests name the image: what a registry push carries.
    rm -f "$out/$product.oci.tar"
    buildah "${storage[@]}" manifest push --quiet --all --format oci "$index" "oci-archive:$out/$product.oci.tar:$image"
    buildah "${storage[@]}" manifest push --quiet --all --format oci "$index" "oci:$out/oci:$product"

    python3 scripts/image-sbom.py --product "$product" --version "$version" --revision "$revision" --created "$created" \
        --source "$source_url" --rootfs "$out/rootfs/$product" --swift-build "$scratch" >"$out/$product.spdx.json"
    python3 scripts/image-sizes.py "$out/oci" "$product" | tee -a "$out/images.txt"
done
echo "build-images: $out/usage-agent.oci.tar and $out/usage-collector.oci.tar (image indexes for ${platforms[*]/#/linux/}, tags $registry/usage-agent:$version, $registry/usage-collector:$version)"
