# Release images of the two executables, each on a minimal non-root runtime image
# (distroless "cc": glibc, libstdc++, CA certificates, user 65532, no shell).
#
#   docker build --target usage-agent     -t public.ecr.aws/kubeflow-on-aws/usage-agent:0.1.0 .
#   docker build --target usage-collector -t public.ecr.aws/kubeflow-on-aws/usage-collector:0.1.0 .
#
# Expected sizes (estimates, not measured: no container engine runs where this was written):
#   usage-agent      about 45 MB (distroless cc about 23 MB + a stripped binary of about 25 MB
#                    with the Swift runtime linked in statically; about 15 MB compressed)
#   usage-collector  about 80-110 MB (same base + a larger binary: Hummingbird, GRDB and
#                    Foundation with ICU's data + libsqlite3)
#
# The build copies next to each binary the shared libraries it needs that distroless cc lacks
# (ldd decides: libz for the agent, libsqlite3 and libz for the collector), from the same Debian
# release (bookworm) as the runtime image.

# The toolchain the project is tested with; bookworm, the Debian release of the runtime image.
ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

# MARK: build
FROM ${SWIFT_IMAGE} AS build
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so that a source change does not fetch them again.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product usage-agent --static-swift-stdlib \
    && swift build -c release --product usage-collector --static-swift-stdlib
# One root filesystem per image under /staging/<product>: the stripped binary at
# /usr/local/bin/<product> and the libraries that the runtime image does not have.
RUN set -eu; \
    bin="$(swift build -c release --show-bin-path)"; \
    for product in usage-agent usage-collector; do \
        root="/staging/${product}"; \
        install -D -m 0755 "${bin}/${product}" "${root}/usr/local/bin/${product}"; \
        strip "${root}/usr/local/bin/${product}"; \
        ldd "${root}/usr/local/bin/${product}" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' \
        | while read -r lib; do \
            case "$(basename "${lib}")" in \
                libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|libutil.so.*|ld-linux*|libstdc++.so.*|libgcc_s.so.*) ;; \
                *) real="$(readlink -f "${lib}")"; \
                   install -D -m 0644 "${real}" "${root}$(dirname "${real}")/$(basename "${lib}")" ;; \
            esac; \
        done; \
    done; \
    find /staging -type f | sort

# MARK: usage-agent
FROM ${RUNTIME_IMAGE} AS usage-agent
COPY --from=build /staging/usage-agent/ /
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/usage-agent"]

# MARK: usage-collector
FROM ${RUNTIME_IMAGE} AS usage-collector
COPY --from=build /staging/usage-collector/ /
USER 65532:65532
# The SQLite default ./usage.sqlite lands in /data: mount a volume writable by 65532 there
# (in Kubernetes, deploy/collector does, with fsGroup 65532).
WORKDIR /data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/usage-collector"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
