#!/usr/bin/env python3
"""One line about an image in an OCI layout: its files, uncompressed and compressed size, layer.

    python3 scripts/image-sizes.py OCI_LAYOUT REF

When REF is an image index (scripts/build-images.sh writes one per product), one line for each
platform's image in it, named REF (OS/ARCH).

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


def describe(layout, name, descriptor, index_size=0):
    with open(blob(layout, descriptor["digest"])) as f:
        manifest = json.load(f)
    compressed = index_size + descriptor["size"] + manifest["config"]["size"]
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
    print(f"{name}: {files} files, {uncompressed / 1e6:.1f} MB uncompressed, {compressed / 1e6:.1f} MB compressed; "
          f"largest {largest[0]} {largest[1] / 1e6:.1f} MB; manifest {descriptor['digest']}; layer {layers}")


def main():
    layout, ref = sys.argv[1], sys.argv[2]
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    entries = [m for m in index["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref]
    if not entries:
        sys.exit(f"image-sizes: no image {ref!r} in {layout}")
    entry = entries[0]
    if entry.get("mediaType") == "application/vnd.oci.image.index.v1+json":
        with open(blob(layout, entry["digest"])) as f:
            image_index = json.load(f)
        for descriptor in image_index["manifests"]:
            platform = descriptor.get("platform", {})
            # Compressed counts what a node pulls for its platform: the index too.
            describe(layout, f"{ref} ({platform.get('os', '?')}/{platform.get('architecture', '?')}, index {entry['digest']})",
                     descriptor, index_size=entry["size"])
    else:
        describe(layout, ref, entry)


if __name__ == "__main__":
    main()
