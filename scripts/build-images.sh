#!/usr/bin/env bash
# The two release images, usage-agent and usage-collector, built without a container daemon and
# without pulling a base image (README, "Images"):
#
#   scripts/build-images.sh            # as root (buildah's vfs storage needs it)
#
# 1. release binaries with the Swift runtime linked in (--static-swift-stdlib);
# 2. each root filesystem from scripts/stage-rootfs.sh: the stripped binary, the shared libraries
#    ldd lists, Debian's CA bundle, /etc/passwd and /etc/group for 65532, nothing else;
# 3. committed with buildah (from scratch, vfs storage of its own under $IMAGES_OUT), with OCI
#    labels and annotations (source, version, revision, licenses), every timestamp set to the
#    commit's time, so that two builds of one commit give the same layer;
# 4. written as OCI archives ($IMAGES_OUT/PRODUCT.oci.tar), into one OCI layout
#    ($IMAGES_OUT/oci, refs usage-agent and usage-collector, for umoci and skopeo), with an
#    SPDX SBOM each ($IMAGES_OUT/PRODUCT.spdx.json) and a size summary ($IMAGES_OUT/images.txt).
#
# The tag is the one the manifests name: public.ecr.aws/kubeflow-on-aws/PRODUCT:VERSION, VERSION
# being the agent's (Sources/UsageAgent/PingRequest.swift). Push and pin: README, "Images".
set -euo pipefail
cd "$(dirname "$0")/.."

out=${IMAGES_OUT:-$PWD/.build-images}
registry=${IMAGE_REGISTRY:-public.ecr.aws/kubeflow-on-aws}
# The distribution this component ships in (awslabs/kubeflow-manifests) is Apache-2.0.
licenses=${IMAGE_LICENSES:-Apache-2.0}
source_url=${IMAGE_SOURCE:-https://github.com/awslabs/kubeflow-manifests}
version=$(sed -n 's/.*public static let current = "\(.*\)".*/\1/p' Sources/UsageAgent/PingRequest.swift)
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || echo "build-images: the work tree has uncommitted changes; the images are labelled $revision all the same" >&2
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)

for tool in buildah skopeo strip ldd python3; do
    command -v "$tool" >/dev/null || { echo "build-images: $tool is missing (apt-get install buildah skopeo binutils; .ci/run does)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "build-images: run as root (buildah's vfs storage and the image's file owners need it)" >&2; exit 1; }

mkdir -p "$out"
scratch="$out/swift"
# Source paths (in #file strings of preconditions, and in C asserts) as /src/…, not this clone's
# folder: two clones of one commit then build the same binaries.
# The versions Package.resolved pins, exactly (the SBOM lists them).
build=(swift build -c release --static-swift-stdlib --force-resolved-versions --scratch-path "$scratch"
    -Xswiftc -file-prefix-map -Xswiftc "$PWD=/src" -Xcc "-ffile-prefix-map=$PWD=/src")
for product in usage-agent usage-collector; do
    "${build[@]}" --product "$product"
done
bin=$("${build[@]}" --show-bin-path)

storage=(--storage-driver vfs --root "$out/storage" --runroot "$out/run")
rm -rf "$out/oci"
: >"$out/images.txt"
for product in usage-agent usage-collector; do
    root="$out/rootfs/$product"
    scripts/stage-rootfs.sh "$bin/$product" "$product" "$root" >"$out/$product.files"
    image="$registry/$product:$version"

    container=$(buildah "${storage[@]}" from --quiet scratch)
    trap 'buildah "${storage[@]}" rm "$container" >/dev/null 2>&1 || true' EXIT
    buildah "${storage[@]}" copy --quiet "$container" "$root" / >/dev/null
    config=(--user 65532:65532 --entrypoint "[\"/usr/local/bin/$product\"]")
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
        --rm "$container" "$image" >/dev/null
    trap - EXIT

    rm -f "$out/$product.oci.tar"
    buildah "${storage[@]}" push --quiet "$image" "oci-archive:$out/$product.oci.tar:$image"
    buildah "${storage[@]}" push --quiet "$image" "oci:$out/oci:$product"

    python3 scripts/image-sbom.py --product "$product" --version "$version" --revision "$revision" --created "$created" \
        --source "$source_url" --rootfs "$root" --swift-build "$scratch" >"$out/$product.spdx.json"
    python3 scripts/image-sizes.py "$out/oci" "$product" | tee -a "$out/images.txt"
done
echo "build-images: $out/usage-agent.oci.tar and $out/usage-collector.oci.tar (tags $registry/usage-agent:$version, $registry/usage-collector:$version)"
