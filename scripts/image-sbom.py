#!/usr/bin/env python3
"""An SPDX 2.3 SBOM (JSON) of one image's root filesystem, on stdout:

    python3 scripts/image-sbom.py --product P --version V --revision R --created T --source URL \
        --rootfs ROOT --swift-build SCRATCH

Packages: the Debian packages that own the files copied from this machine (dpkg -S; the CA bundle,
which update-ca-certificates writes, is ca-certificates'), the Swift toolchain whose runtime is
linked in statically, and each Swift package with a module in the binary: the modules are the
object folders SwiftPM's link file list names (SCRATCH/release/P.product/Objects.LinkFileList),
each found in this repository or in one checkout, whose version show-dependencies gives.
"""
import argparse
import json
import os
import re
import subprocess
import sys


def run(*command):
    return subprocess.run(command, capture_output=True, text=True)


def spdx_id(kind, name):
    return "SPDXRef-" + kind + "-" + re.sub(r"[^A-Za-z0-9.-]", "-", name)


def package(kind, name, version, purl, supplier):
    return {
        "SPDXID": spdx_id(kind, name), "name": name, "versionInfo": version, "supplier": supplier,
        "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
        "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION", "copyrightText": "NOASSERTION",
        "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl}],
    }


def debian_packages(rootfs, product):
    """(package, version, architecture) owning each file the image took from this machine."""
    owners = set()
    codename = ""
    if os.path.exists("/etc/os-release"):
        for line in open("/etc/os-release"):
            if line.startswith("VERSION_ID="):
                codename = line.split("=", 1)[1].strip().strip('"')
    for folder, _, names in os.walk(rootfs):
        for name in names:
            path = os.path.join(folder, name)[len(rootfs):]
            if path in (f"/usr/local/bin/{product}", "/etc/passwd", "/etc/group"):
                continue
            if path == "/etc/ssl/certs/ca-certificates.crt":
                owners.add("ca-certificates")
                continue
            found = None
            for candidate in (path, os.path.realpath(path), "/usr" + path):
                result = run("dpkg", "-S", candidate)
                if result.returncode == 0:
                    found = result.stdout.splitlines()[0].split(": ")[0]  # "libc6:amd64: /lib/..."
                    break
            if found is None:
                sys.exit(f"image-sbom: no Debian package owns {path}")
            owners.add(found.split(",")[0].strip())
    packages = []
    for owner in sorted(owners):
        result = run("dpkg-query", "-W", "-f=${Package} ${Version} ${Architecture}", owner)
        if result.returncode != 0:
            sys.exit(f"image-sbom: dpkg-query {owner}: {result.stderr}")
        name, version, architecture = result.stdout.split()[:3]
        packages.append((name, version, architecture, codename))
    return packages


def swift_packages(product, scratch):
    """(identity, url, version) of each package with a module linked into the product."""
    link_list = os.path.join(scratch, "release", f"{product}.product", "Objects.LinkFileList")
    modules = set()
    for line in open(link_list):
        match = re.search(r"/([^/]+)\.build/[^/]+\.o\b", line.strip().strip("'\""))
        if match:
            modules.add(match.group(1))
    tree = json.loads(run("swift", "package", "--scratch-path", scratch, "show-dependencies", "--format", "json").stdout)
    versions = {}

    def walk(node):
        for dependency in node.get("dependencies", []):
            versions[os.path.realpath(dependency["path"])] = (dependency["identity"], dependency["url"], dependency["version"])
            walk(dependency)
    walk(tree)
    manifests = {path: open(os.path.join(path, "Package.swift")).read() for path in versions
                 if os.path.exists(os.path.join(path, "Package.swift"))}

    def folder_holds(path, module):
        return os.path.isdir(os.path.join(path, "Sources", module)) or os.path.isdir(os.path.join(path, module))

    def manifest_declares(path, module):
        """A target declared with that name (one with a path of its own, such as swift-system's
        SystemPackage in Sources/System); not a product it merely depends on."""
        pattern = r'\.(?:target|executableTarget|systemLibrary|binaryTarget)\(\s*name:\s*"' + re.escape(module) + '"'
        return re.search(pattern, manifests.get(path, "")) is not None

    found, unknown = {}, []
    for module in sorted(modules):
        # This repository's own targets; an executable's module is its name with _ for -.
        if os.path.isdir(os.path.join("Sources", module)) or os.path.isdir(os.path.join("Sources", module.replace("_", "-"))):
            continue
        owner = (next((versions[path] for path in versions if folder_holds(path, module)), None)
                 or next((versions[path] for path in versions if manifest_declares(path, module)), None))
        if owner is None:
            unknown.append(module)
        else:
            found[owner[0]] = owner
    if unknown:
        sys.exit(f"image-sbom: modules in {product} that no package holds: {', '.join(unknown)}")
    return sorted(found.values())


def main():
    arguments = argparse.ArgumentParser()
    for name in ("product", "version", "revision", "created", "source", "rootfs", "swift-build"):
        arguments.add_argument("--" + name, required=True)
    options = arguments.parse_args()
    image = {
        "SPDXID": "SPDXRef-image", "name": options.product, "versionInfo": options.version,
        "supplier": "Organization: Kubeflow on AWS", "downloadLocation": options.source, "filesAnalyzed": False,
        "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION", "copyrightText": "NOASSERTION",
        "sourceInfo": f"built from revision {options.revision}",
        "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                          "referenceLocator": f"pkg:oci/{options.product}@{options.version}"}],
    }
    packages = []
    for name, version, architecture, release in debian_packages(options.rootfs, options.product):
        packages.append(package("deb", name, version, f"pkg:deb/debian/{name}@{version}?arch={architecture}&distro=debian-{release}",
                                "Organization: Debian"))
    toolchain = run("swift", "--version").stdout + run("swift", "--version").stderr
    swift_version = re.search(r"Swift version (\S+)", toolchain).group(1)
    packages.append(package("swift", "swift-toolchain-runtime", swift_version,
                            f"pkg:generic/swift@{swift_version}", "Organization: swift.org"))
    for identity, url, version in swift_packages(options.product, options.swift_build):
        location = re.sub(r"^https://|\.git$", "", url)
        packages.append(package("swiftpm", identity, version, f"pkg:swift/{location}@{version}", "NOASSERTION"))
    document = {
        "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
        "name": f"{options.product}-{options.version}",
        "documentNamespace": f"{options.source}/spdx/{options.product}-{options.version}-{options.revision}",
        "creationInfo": {"created": options.created, "creators": ["Tool: scripts/image-sbom.py"]},
        "documentDescribes": ["SPDXRef-image"],
        "packages": [image] + packages,
        "relationships": [{"spdxElementId": "SPDXRef-image", "relationshipType": "CONTAINS", "relatedSpdxElement": p["SPDXID"]}
                          for p in packages],
    }
    json.dump(document, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
