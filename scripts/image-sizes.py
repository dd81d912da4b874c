#!/usr/bin/env python3
"""One line about an image in an OCI layout: its files, uncompressed and compressed size, layer.

    python3 scripts/image-sizes.py OCI_LAYOUT REF

Uncompressed is the size of the layer's tar (what a node unpacks: file contents plus tar headers);
compressed is what a registry stores and a node pulls (layer blobs, config and manifest).
"""
import gzip
import json
import os
import sys
import tarfile


def blob(layout, digest):
    algorithm, value = digest.split(":", 1)
    return os.path.join(layout, "blobs", algorithm, value)


def main():
    layout, ref = sys.argv[1], sys.argv[2]
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    entries = [m for m in index["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref]
    if not entries:
        sys.exit(f"image-sizes: no image {ref!r} in {layout}")
    manifest_digest = entries[0]["digest"]
    with open(blob(layout, manifest_digest)) as f:
        manifest = json.load(f)
    compressed = entries[0]["size"] + manifest["config"]["size"]
    uncompressed = files = 0
    largest = ("", 0)
    for layer in manifest["layers"]:
        compressed += layer["size"]
        with gzip.open(blob(layout, layer["digest"])) as raw:
            uncompressed += len(raw.read())
        with tarfile.open(blob(layout, layer["digest"]), "r:gz") as tar:
            for member in tar:
                if member.isfile():
                    files += 1
                    if member.size > largest[1]:
                        largest = (member.name, member.size)
    layers = ", ".join(layer["digest"] for layer in manifest["layers"])
    print(f"{ref}: {files} files, {uncompressed / 1e6:.1f} MB uncompressed, {compressed / 1e6:.1f} MB compressed; "
          f"largest {largest[0]} {largest[1] / 1e6:.1f} MB; manifest {manifest_digest}; layer {layers}")


if __name__ == "__main__":
    main()
