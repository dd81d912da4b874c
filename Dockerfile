# Release images of the two executables, for builders with Docker. Without a container daemon,
# scripts/build-images.sh builds the same images with buildah (README, "Images"); both take each
# image's files from scripts/stage-rootfs.sh, so the two list the same files:
#
#   docker build --target usage-agent     -t public.ecr.aws/kubeflow-on-aws/usage-agent:0.1.0 .
#   docker build --target usage-collector -t public.ecr.aws/kubeflow-on-aws/usage-collector:0.1.0 .
#
# Each image is FROM scratch: the stripped binary (the Swift runtime linked in statically), the
# shared libraries ldd lists for it, Debian's CA bundle, and /etc/passwd and /etc/group for the
# user 65532. Sizes, measured on the buildah images, are in BENCHMARKS.md, "Images" (about 14 MB
# compressed for usage-agent, about 39 MB for usage-collector, 34 MB of it ICU's data, which the
# full Foundation brings).

# The toolchain the project is tested with, on bookworm, whose libraries the images carry.
ARG SWIFT_IMAGE=swift:6.3-bookworm

# MARK: build
FROM ${SWIFT_IMAGE} AS build
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-dev zlib1g-dev ca-certificates binutils \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so that a source change does not fetch them again.
COPY Package.swift Package.resolved ./
RUN swift package resolve --force-resolved-versions
COPY Sources ./Sources
COPY Tests ./Tests
COPY scripts/stage-rootfs.sh ./scripts/
RUN swift build -c release --static-swift-stdlib --product usage-agent \
    && swift build -c release --static-swift-stdlib --product usage-collector
RUN bin="$(swift build -c release --static-swift-stdlib --show-bin-path)" \
    && for product in usage-agent usage-collector; do \
        scripts/stage-rootfs.sh "${bin}/${product}" "${product}" "/staging/${product}"; \
    done

# MARK: usage-agent
FROM scratch AS usage-agent
COPY --from=build /staging/usage-agent/ /
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/usage-agent"]

# MARK: usage-collector
FROM scratch AS usage-collector
COPY --from=build /staging/usage-collector/ /
# COPY makes every file root's; /data is the one folder 65532 writes to.
COPY --from=build --chown=65532:65532 /staging/usage-collector/data /data
USER 65532:65532
# The SQLite default ./usage.sqlite lands in /data: mount a volume writable by 65532 there
# (in Kubernetes, deploy/collector does, with fsGroup 65532).
WORKDIR /data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/usage-collector"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
