import Foundation
import TestSupport
import Testing
import UsageAgent
import Yams

// The Kubernetes packaging under test: every kustomization is rendered with `kubectl kustomize`,
// validated with `kubernetes-validate --strict` and compared with its golden file, and the
// settings that matter (names, schedule, security) are asserted on the rendered YAML.
//
// Needs `kubectl` and `kubernetes-validate` (`pip install kubernetes-validate`) on PATH. Without
// them these tests are skipped, except when CI is set: there they fail.
// UPDATE_GOLDEN_FILES=1 rewrites Tests/ManifestTests/Golden/ from the current manifests.

// MARK: - Rendered kustomizations

@Suite(
    "Kubernetes manifests",
    .serialized,
    .enabled(
        if: ManifestTools.testsRun,
        "needs kubectl and kubernetes-validate on PATH (pip install kubernetes-validate); with CI set, their absence fails"
    )
)
struct KubernetesManifestTests {
    @Test("every kustomization renders, validates strictly and matches its golden file", arguments: Kustomization.all)
    func rendersAndValidates(_ kustomization: Kustomization) throws {
        let tools = try ManifestTools.required()
        let yaml = try kustomization.renderYAML(tools: tools)
        try KubernetesValidate.check(yaml, named: kustomization.goldenFile, tools: tools)
        try GoldenFile.compare(yaml, with: kustomization.goldenFile)

        let documents = try ManifestValue.documents(fromYAML: yaml)
        #expect(!documents.isEmpty)
        for document in documents {
            for key in ["app.kubernetes.io/name", "app.kubernetes.io/component"] {
                #expect(document.labels[key] != nil, "\(document.identity) has no label \(key)")
            }
            #expect(document.labels["app.kubernetes.io/part-of"] == "kubeflow-on-aws", "\(document.identity)")
            if let pod = document.podTemplate {
                expectHardened(pod: pod, of: document)
            }
        }
    }

    @Test("the CronJob runs usage-agent daily at a fixed UTC time, one run at a time, for a bounded time")
    func telemetryCronJob() throws {
        let documents = try Kustomization.telemetry.render(tools: ManifestTools.required())
        let cronJob = try resource(kind: "CronJob", name: "aws-kubeflow-telemetry", in: documents)
        #expect(cronJob.namespace == "kubeflow")
        #expect(cronJob.at("spec", "schedule") == "15 0 * * *")
        #expect(cronJob.at("spec", "timeZone") == "Etc/UTC")
        #expect(cronJob.at("spec", "concurrencyPolicy") == "Forbid")
        #expect(cronJob.at("spec", "startingDeadlineSeconds") == 3600)
        #expect(cronJob.at("spec", "successfulJobsHistoryLimit") == 1)
        #expect(cronJob.at("spec", "failedJobsHistoryLimit") == 1)

        let job = try #require(cronJob.at("spec", "jobTemplate", "spec"))
        expectBoundedJob(job, of: cronJob)
        let pod = try #require(cronJob.podTemplate)
        expectAgentPod(pod, of: cronJob)
        #expect(pod.at("spec", "automountServiceAccountToken") == false)
        #expect(pod.at("spec", "serviceAccountName") == nil)

        let agent = try #require(containerInvocations(in: [cronJob]).first)
        #expect(agent.arguments.isEmpty, "the CronJob keeps the jitter from the ConfigMap")
    }

    @Test("the install Job runs usage-agent once, without jitter")
    func installJob() throws {
        let documents = try Kustomization.telemetry.render(tools: ManifestTools.required())
        let job = try resource(kind: "Job", name: "aws-kubeflow-telemetry-install", in: documents)
        #expect(job.namespace == "kubeflow")
        let jobSpec = try #require(job.at("spec"))
        expectBoundedJob(jobSpec, of: job)
        let pod = try #require(job.podTemplate)
        expectAgentPod(pod, of: job)
        #expect(pod.at("spec", "automountServiceAccountToken") == false)

        let agent = try #require(containerInvocations(in: [job]).first)
        #expect(agent.arguments == ["--jitter=0"])
    }

    @Test("the agent's settings come from one generated ConfigMap with a stable name")
    func telemetryConfigMap() throws {
        let documents = try Kustomization.telemetry.render(tools: ManifestTools.required())
        #expect(Set(documents.map(\.identity)) == [
            "ConfigMap/aws-kubeflow-telemetry-config",
            "CronJob/aws-kubeflow-telemetry",
            "Job/aws-kubeflow-telemetry-install",
        ])
        let configMap = try resource(kind: "ConfigMap", name: "aws-kubeflow-telemetry-config", in: documents)
        #expect(configMap.namespace == "kubeflow")
        #expect(configMap.at("data") == [
            "USAGE_TRACKING_ENABLED": "true",
            "USAGE_PROTOCOL": "s3",
            "USAGE_COLLECTOR_URL": "",
            "USAGE_JITTER_SECONDS": "300",
            "USAGE_NODE_CHOICE": "this",
        ])
        #expect(documents.allSatisfy { $0.labels == ManifestValue.telemetryLabels })
    }

    @Test("the Kubernetes-API overlay may only get and list nodes, chooses the oldest node, and passes NODE_NAME")
    func kubernetesAPIFallback() throws {
        let documents = try Kustomization.kubernetesAPIFallback.render(tools: ManifestTools.required())
        let serviceAccount = try resource(kind: "ServiceAccount", name: "aws-kubeflow-telemetry", in: documents)
        #expect(serviceAccount.namespace == "kubeflow")

        let role = try resource(kind: "ClusterRole", name: "aws-kubeflow-telemetry", in: documents)
        #expect(role.at("rules") == [["apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list"]]])
        let configMap = try resource(kind: "ConfigMap", name: "aws-kubeflow-telemetry-config", in: documents)
        #expect(configMap.at("data", "USAGE_NODE_CHOICE") == "oldest")
        #expect(role.at("aggregationRule") == nil)

        let binding = try resource(kind: "ClusterRoleBinding", name: "aws-kubeflow-telemetry", in: documents)
        #expect(binding.at("roleRef") == [
            "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "aws-kubeflow-telemetry",
        ])
        #expect(binding.at("subjects") == [["kind": "ServiceAccount", "name": "aws-kubeflow-telemetry", "namespace": "kubeflow"]])

        let rbacKinds: Set = ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"]
        #expect(documents.filter { rbacKinds.contains($0.kind ?? "") }.count == 2, "no other RBAC object")

        for name in ["aws-kubeflow-telemetry", "aws-kubeflow-telemetry-install"] {
            let owner = try #require(documents.first { $0.name == name && $0.podTemplate != nil })
            let pod = try #require(owner.podTemplate)
            expectAgentPod(pod, of: owner)
            #expect(pod.at("spec", "serviceAccountName") == "aws-kubeflow-telemetry")
            #expect(pod.at("spec", "automountServiceAccountToken") == true)
            let container = try #require(pod.at("spec", "containers")?.items.first)
            #expect(container.at("env") == [
                ["name": "NODE_NAME", "valueFrom": ["fieldRef": ["fieldPath": "spec.nodeName"]]],
            ])
        }
    }

    @Test("the vanilla deployment holds the kubeflow namespace and usage tracking")
    func vanillaDeployment() throws {
        let documents = try Kustomization.vanilla.render(tools: ManifestTools.required())
        #expect(Set(documents.map(\.identity)) == [
            "Namespace/kubeflow",
            "ConfigMap/aws-kubeflow-telemetry-config",
            "CronJob/aws-kubeflow-telemetry",
            "Job/aws-kubeflow-telemetry-install",
        ])
    }

    @Test("commenting out the telemetry line in deployments/vanilla deactivates usage tracking")
    func commentingOutTelemetryLine() throws {
        let tools = try ManifestTools.required()
        let copy = try ScratchDirectory()
        defer { copy.remove() }
        for folder in ["deployments/vanilla", "awsconfigs/common"] {
            try copy.copy(RepositoryPath.url(folder), to: folder)
        }
        let kustomizationFile = copy.url.appendingPathComponent("deployments/vanilla/kustomization.yaml")
        let original = try String(contentsOf: kustomizationFile, encoding: .utf8)
        let (edited, commentedLines) = commentOutTelemetry(in: original)
        #expect(commentedLines.count == 1, "exactly one line includes the telemetry component")
        #expect(commentedLines.allSatisfy { $0.contains("comment out this line") }, "the line says how to leave it out")
        try edited.write(to: kustomizationFile, atomically: true, encoding: .utf8)

        let yaml = try Kustomization.renderYAML(copy.url.appendingPathComponent("deployments/vanilla"), tools: tools)
        try KubernetesValidate.check(yaml, named: "vanilla-without-telemetry.yaml", tools: tools)
        let documents = try ManifestValue.documents(fromYAML: yaml)
        #expect(documents.map(\.identity) == ["Namespace/kubeflow"])
        #expect(!documents.contains { ["CronJob", "Job", "ConfigMap"].contains($0.kind ?? "") })
    }

    @Test("the collector runs non-root on SQLite by default, with probes on the operations listener, a Service for Prometheus, a volume, an optional database Secret and a required admin token")
    func collector() throws {
        let documents = try Kustomization.collector.render(tools: ManifestTools.required())
        #expect(Set(documents.map(\.identity)) == [
            "Namespace/usage-tracking",
            "Service/usage-collector",
            "Service/usage-collector-metrics",
            "PersistentVolumeClaim/usage-collector-data",
            "Deployment/usage-collector",
        ])
        #expect(documents.filter { $0.kind != "Namespace" }.allSatisfy { $0.namespace == "usage-tracking" })
        let namespace = try resource(kind: "Namespace", name: "usage-tracking", in: documents)
        #expect(namespace.labels["pod-security.kubernetes.io/enforce"] == "restricted")

        let deployment = try resource(kind: "Deployment", name: "usage-collector", in: documents)
        #expect(deployment.at("spec", "replicas") == 1)
        #expect(deployment.at("spec", "strategy") == ["type": "Recreate"])
        let pod = try #require(deployment.podTemplate)
        #expect(pod.at("spec", "automountServiceAccountToken") == false)
        #expect(pod.at("spec", "securityContext", "fsGroup") == 65532)
        #expect(pod.at("spec", "volumes") == [
            ["name": "data", "persistentVolumeClaim": ["claimName": "usage-collector-data"]],
            ["name": "tmp", "emptyDir": ["sizeLimit": "64Mi"]],
        ])

        let containers = try #require(pod.at("spec", "containers")).items
        #expect(containers.count == 1)
        let container = try #require(containers.first)
        #expect(container.at("name") == "usage-collector")
        #expect(container.at("image") == .scalar("public.ecr.aws/kubeflow-on-aws/usage-collector:\(AgentVersion.current)"), "the tag scripts/build-images.sh gives")
        #expect(container.at("command") == ["/usr/local/bin/usage-collector"])
        #expect(container.at("args") == ["serve", "--host", "0.0.0.0", "--port", "8080", "--metrics-host", "0.0.0.0", "--metrics-port", "9090"])
        #expect(container.at("workingDir") == "/data")
        #expect(container.at("volumeMounts") == [
            ["name": "data", "mountPath": "/data"],
            ["name": "tmp", "mountPath": "/tmp"],
        ])
        #expect(container.at("ports") == [
            ["name": "http", "containerPort": 8080, "protocol": "TCP"],
            ["name": "metrics", "containerPort": 9090, "protocol": "TCP"],
        ])
        #expect(container.at("readinessProbe", "httpGet") == ["path": "/readyz", "port": "metrics"])
        #expect(container.at("livenessProbe", "httpGet") == ["path": "/healthz", "port": "metrics"])
        #expect(container.at("env") == [
            ["name": "USAGE_DATABASE_URL",
             "valueFrom": ["secretKeyRef": ["name": "usage-collector-database", "key": "url", "optional": true]]],
            ["name": "USAGE_ADMIN_TOKEN",
             "valueFrom": ["secretKeyRef": ["name": "usage-collector-admin", "key": "token", "optional": false]]],
        ])

        let service = try resource(kind: "Service", name: "usage-collector", in: documents)
        #expect(service.at("spec", "selector") == deployment.at("spec", "selector", "matchLabels"))
        #expect(service.at("spec", "ports") == [
            ["name": "http", "port": 80, "targetPort": "http", "protocol": "TCP", "appProtocol": "http"],
        ])
        let metricsService = try resource(kind: "Service", name: "usage-collector-metrics", in: documents)
        #expect(metricsService.at("spec", "ports") == [
            ["name": "metrics", "port": 9090, "targetPort": "metrics", "protocol": "TCP", "appProtocol": "http"],
        ])
        try expectCollectorListeners(documents, in: "kustomize deploy/collector")

        let claim = try resource(kind: "PersistentVolumeClaim", name: "usage-collector-data", in: documents)
        #expect(claim.at("spec") == ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]])
    }
}

// MARK: - Dockerfile

@Suite("Dockerfile")
struct DockerfileTests {
    @Test("each manifest's command is a product that the Dockerfile builds and its image runs, from the files scripts/stage-rootfs.sh stages")
    func stagesMatchProductsAndManifests() throws {
        let dockerfile = try Dockerfile(contentsOf: RepositoryPath.url("Dockerfile"))
        let packageManifest = try String(contentsOf: RepositoryPath.url("Package.swift"), encoding: .utf8)
        #expect(dockerfile.stages["build"] != nil, "a build stage named build")

        var sourceDocuments: [ManifestValue] = []
        for file in [
            "awsconfigs/common/aws-telemetry/base/cronjob.yaml",
            "awsconfigs/common/aws-telemetry/base/install-job.yaml",
            "deploy/collector/deployment.yaml",
        ] {
            let text = try String(contentsOf: RepositoryPath.url(file), encoding: .utf8)
            sourceDocuments += try ManifestValue.documents(fromYAML: text)
        }
        let commands = Set(containerInvocations(in: sourceDocuments).map(\.command))
        #expect(commands == [["/usr/local/bin/usage-agent"], ["/usr/local/bin/usage-collector"]])

        for command in commands {
            let product = URL(fileURLWithPath: try #require(command.first)).lastPathComponent
            #expect(packageManifest.contains(".executable(name: \"\(product)\""), "Package.swift has the product \(product)")
            #expect(dockerfile.text.contains("--product \(product)"), "the build stage builds \(product)")
            let stage = try #require(dockerfile.stages[product], "a final stage named \(product)")
            #expect(stage.entrypoint == command, "the \(product) image runs what the manifests run")
            #expect(stage.lines.contains { $0.hasPrefix("COPY --from=build /staging/\(product)/") })
            #expect(stage.lines.contains("USER 65532:65532"))
            // The same files as scripts/build-images.sh: nothing but what the staging script puts in
            // /staging/PRODUCT, on no base image.
            #expect(stage.base == "scratch", "the \(product) stage starts from scratch, as the buildah image does")
            let copies = stage.lines.filter { $0.hasPrefix("COPY") || $0.hasPrefix("ADD") || $0.hasPrefix("RUN") }
            #expect(copies.allSatisfy { $0.contains("/staging/\(product)") }, "\(product) takes files only from its staged root: \(copies)")
        }
        let build = try #require(dockerfile.stages["build"])
        #expect(build.lines.contains { $0.contains("scripts/stage-rootfs.sh \"${bin}/${product}\" \"${product}\" \"/staging/${product}\"") },
                "the build stage stages each image with scripts/stage-rootfs.sh, as scripts/build-images.sh does")
        let images = try String(contentsOf: RepositoryPath.url("scripts/build-images.sh"), encoding: .utf8)
        #expect(images.contains("scripts/stage-rootfs.sh \"$bin/$product\" \"$product\" \"$root\""))
        let staging = try String(contentsOf: RepositoryPath.url("scripts/stage-rootfs.sh"), encoding: .utf8)
        #expect(staging.contains("\"$root/usr/local/bin/$product\""), "binaries are installed in /usr/local/bin")
    }
}

// MARK: - Expectations shared by the tests

/// Asserts the pod meets Pod Security Standards "restricted" and has small requests and limits.
func expectHardened(pod: ManifestValue, of owner: ManifestValue) {
    let name = owner.identity
    let podSecurity = pod.at("spec", "securityContext") ?? [:]
    #expect(podSecurity.at("runAsNonRoot") == true, "\(name)")
    #expect(podSecurity.at("runAsUser") == 65532, "\(name)")
    #expect(podSecurity.at("runAsGroup") == 65532, "\(name)")
    #expect(podSecurity.at("seccompProfile") == ["type": "RuntimeDefault"], "\(name)")
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        #expect(pod.at("spec", field) == nil, "\(name) sets \(field)")
    }
    for volume in pod.at("spec", "volumes")?.items ?? [] {
        #expect(volume.at("hostPath") == nil, "\(name) mounts a host path")
    }

    let containers = (pod.at("spec", "initContainers")?.items ?? []) + (pod.at("spec", "containers")?.items ?? [])
    #expect(!containers.isEmpty, "\(name) has no container")
    for container in containers {
        let label = "\(name) container \(container.at("name")?.string ?? "?")"
        let security = container.at("securityContext") ?? [:]
        #expect(security.at("allowPrivilegeEscalation") == false, "\(label)")
        #expect(security.at("readOnlyRootFilesystem") == true, "\(label)")
        #expect(security.at("runAsNonRoot") == true, "\(label)")
        #expect(security.at("privileged") == nil, "\(label)")
        #expect(security.at("capabilities") == ["drop": ["ALL"]], "\(label)")
        #expect(security.at("seccompProfile") == ["type": "RuntimeDefault"], "\(label)")
        for key in ["requests", "limits"] {
            for resource in ["cpu", "memory"] {
                #expect(container.at("resources", key, resource) != nil, "\(label) has no \(resource) \(key)")
            }
        }
        let hostPorts = (container.at("ports")?.items ?? []).compactMap { $0.at("hostPort") }
        #expect(hostPorts.isEmpty, "\(label) uses a host port")
    }
}

/// Asserts a ServiceMonitor (monitoring.coreos.com/v1, the Prometheus Operator's) has the shape
/// its CRD allows, for the fields the chart writes: kubernetes-validate has no schema for it
/// (``KubernetesValidate/customResourceChecks``). Unknown fields fail, as `--strict` makes them.
@Sendable func expectServiceMonitorShape(_ monitor: ManifestValue, in fileName: String) {
    let name = "\(fileName): \(monitor.identity)"
    func expectKeys(_ value: ManifestValue?, allowed: Set<String>, required: Set<String> = [], at path: String) {
        guard case .mapping(let entries)? = value else {
            Issue.record("\(name): \(path) is not a mapping: \(String(describing: value))")
            return
        }
        let unknown = Set(entries.keys).subtracting(allowed)
        #expect(unknown.isEmpty, "\(name): unknown fields \(unknown.sorted()) at \(path)")
        let missing = required.subtracting(entries.keys)
        #expect(missing.isEmpty, "\(name): missing fields \(missing.sorted()) at \(path)")
    }
    func expectStringMap(_ value: ManifestValue?, at path: String) {
        guard let value else { return }
        guard case .mapping(let entries) = value else {
            Issue.record("\(name): \(path) is not a map of strings: \(value)")
            return
        }
        #expect(entries.values.allSatisfy { $0.string != nil }, "\(name): \(path) is not a map of strings: \(value)")
    }
    let dnsSubdomain = #/^[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$/#
    // The CRD's pattern for a Prometheus duration (monitoring.coreos.com_servicemonitors.yaml).
    let duration = #/^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$/#

    expectKeys(monitor, allowed: ["apiVersion", "kind", "metadata", "spec"], required: ["apiVersion", "kind", "metadata", "spec"], at: "/")
    expectKeys(monitor.at("metadata"), allowed: ["name", "namespace", "labels", "annotations"], required: ["name"], at: "/metadata")
    #expect((monitor.name ?? "").wholeMatch(of: dnsSubdomain) != nil, "\(name): metadata.name")
    expectStringMap(monitor.at("metadata", "labels"), at: "/metadata/labels")
    expectStringMap(monitor.at("metadata", "annotations"), at: "/metadata/annotations")

    expectKeys(monitor.at("spec"), allowed: ["selector", "endpoints", "namespaceSelector", "jobLabel", "targetLabels", "podTargetLabels"],
               required: ["selector", "endpoints"], at: "/spec")
    expectKeys(monitor.at("spec", "selector"), allowed: ["matchLabels", "matchExpressions"], at: "/spec/selector")
    expectStringMap(monitor.at("spec", "selector", "matchLabels"), at: "/spec/selector/matchLabels")
    let endpoints = monitor.at("spec", "endpoints")?.items ?? []
    #expect(!endpoints.isEmpty, "\(name): spec.endpoints is empty or not a list")
    for (index, endpoint) in endpoints.enumerated() {
        let path = "/spec/endpoints[\(index)]"
        expectKeys(endpoint, allowed: ["port", "targetPort", "path", "scheme", "interval", "scrapeTimeout", "honorLabels", "relabelings", "metricRelabelings"], at: path)
        if let port = endpoint.at("port") { #expect(port.string?.isEmpty == false, "\(name): \(path)/port is a port name") }
        if let urlPath = endpoint.at("path") { #expect(urlPath.string?.hasPrefix("/") == true, "\(name): \(path)/path") }
        if let scheme = endpoint.at("scheme") { #expect(["http", "https"].contains(scheme.string ?? ""), "\(name): \(path)/scheme \(scheme)") }
        for field in ["interval", "scrapeTimeout"] {
            if let value = endpoint.at(field) {
                #expect((value.string ?? "").wholeMatch(of: duration) != nil, "\(name): \(path)/\(field) \(value) is not a Prometheus duration")
            }
        }
    }
}

/// Asserts the collector's two listeners are set up as the operations listener needs
/// (README, "Install: kustomize or Helm"): `serve --host 0.0.0.0 --port 8080 --metrics-host
/// 0.0.0.0 --metrics-port M`, the container ports `http` (8080) and `metrics` (M), every probe
/// on `metrics`; the public Service (named as the Deployment) and every Ingress reach 8080 only;
/// the ClusterIP Service `<name>-metrics` is the only one that reaches M, on its port `metrics`;
/// and a ServiceMonitor, where there is one, scrapes that Service's port `metrics` by name.
func expectCollectorListeners(_ documents: [ManifestValue], in rendering: String, metricsPort: Int = 9090) throws {
    let deployment = try #require(documents.first { $0.kind == "Deployment" }, "\(rendering): no Deployment")
    let name = try #require(deployment.name)
    let pod = try #require(deployment.podTemplate)
    let container = try #require(pod.at("spec", "containers")?.items.first { $0.at("name") == "usage-collector" }, "\(rendering): no usage-collector container")

    // The listeners the arguments open.
    let arguments = container.at("args")?.strings ?? []
    func argument(_ flag: String) -> String? {
        arguments.firstIndex(of: flag).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
    }
    #expect(arguments.first == "serve", "\(rendering): \(arguments)")
    #expect(argument("--host") == "0.0.0.0" && argument("--port") == "8080", "\(rendering): the public listener: \(arguments)")
    #expect(argument("--metrics-host") == "0.0.0.0", "\(rendering): the operations listener on the pod's address, where the kubelet and Prometheus reach it: \(arguments)")
    #expect(argument("--metrics-port") == "\(metricsPort)", "\(rendering): the operations listener's port: \(arguments)")

    // The container's ports, by name, and a probe's or Service's port resolved to a number.
    var containerPorts: [String: Int] = [:]
    for port in container.at("ports")?.items ?? [] {
        if let portName = port.at("name")?.string, let number = port.at("containerPort")?.string.flatMap({ Int($0) }) {
            containerPorts[portName] = number
        }
    }
    #expect(containerPorts == ["http": 8080, "metrics": metricsPort], "\(rendering): container ports \(containerPorts)")
    func containerPort(_ port: ManifestValue?) -> Int? {
        guard let text = port?.string else { return nil }
        return Int(text) ?? containerPorts[text]
    }

    // Every probe on the operations listener, never on the public port.
    #expect(container.at("readinessProbe", "httpGet", "path") == "/readyz", "\(rendering)")
    #expect(container.at("livenessProbe", "httpGet", "path") == "/healthz", "\(rendering)")
    for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
        guard let handler = container.at(probe) else { continue }
        let port = handler.at("httpGet", "port") ?? handler.at("tcpSocket", "port") ?? handler.at("grpc", "port")
        #expect(containerPort(port) == metricsPort, "\(rendering): \(probe) on \(String(describing: port)), not on the operations listener (\(metricsPort)): the kubelet's probes would count against the public port's per-client limits")
    }

    // The Services that select the pods, and the container port each of their ports reaches.
    let podLabels = pod.labels
    let services = documents.filter { service in
        guard service.kind == "Service", case .mapping(let selector)? = service.at("spec", "selector") else { return false }
        return selector.allSatisfy { podLabels[$0.key] == $0.value.string }
    }
    func targets(_ service: ManifestValue) -> [Int?] {
        (service.at("spec", "ports")?.items ?? []).map { containerPort($0.at("targetPort") ?? $0.at("port")) }
    }
    let publicService = try resource(kind: "Service", name: name, in: documents)
    #expect(services.contains(publicService), "\(rendering): the public Service selects the pods")
    #expect(targets(publicService) == [8080], "\(rendering): the public Service \(name) reaches the public port only: \(String(describing: publicService.at("spec", "ports")))")
    #expect(publicService.at("spec", "ports")?.items.contains { $0.at("name") == "metrics" } == false, "\(rendering): the public Service has a port named metrics")

    let metrics = try resource(kind: "Service", name: "\(name)-metrics", in: documents)
    #expect(metrics.namespace == deployment.namespace)
    #expect(metrics.at("spec", "type") == "ClusterIP", "\(rendering): the metrics Service is cluster-internal, never a LoadBalancer or NodePort")
    #expect(metrics.at("spec", "selector") == deployment.at("spec", "selector", "matchLabels"), "\(rendering): the metrics Service selects the Deployment's pods")
    #expect(metrics.at("spec", "ports") == [
        ["name": "metrics", "port": .scalar("\(metricsPort)"), "targetPort": "metrics", "protocol": "TCP", "appProtocol": "http"],
    ], "\(rendering): the metrics Service's one port")
    let reachingMetrics = services.filter { targets($0).contains(metricsPort) }.map(\.identity)
    #expect(reachingMetrics == [metrics.identity], "\(rendering): the Services that reach the operations listener")

    // Every Ingress backend: the public Service, on a port that reaches 8080.
    for ingress in documents where ingress.kind == "Ingress" {
        let rules = ingress.at("spec", "rules")?.items ?? []
        let backends = rules.flatMap { $0.at("http", "paths")?.items ?? [] }.compactMap { $0.at("backend") }
            + [ingress.at("spec", "defaultBackend")].compactMap { $0 }
        #expect(!backends.isEmpty, "\(rendering): \(ingress.identity) has no backend")
        for backend in backends {
            let serviceName = backend.at("service", "name")?.string
            #expect(serviceName == name, "\(rendering): \(ingress.identity) exposes \(serviceName ?? "no Service"), not the public Service \(name)")
            let servicePort = (publicService.at("spec", "ports")?.items ?? []).first {
                $0.at("name") == backend.at("service", "port", "name") || $0.at("port") == backend.at("service", "port", "number")
            }
            #expect(servicePort.map { containerPort($0.at("targetPort")) } == 8080, "\(rendering): \(ingress.identity) reaches \(String(describing: backend.at("service", "port"))), not the public port")
        }
    }

    // A ServiceMonitor: the Services it selects in its namespace, scraped on the ports it names.
    for monitor in documents where monitor.kind == "ServiceMonitor" {
        #expect(monitor.at("apiVersion") == "monitoring.coreos.com/v1", "\(rendering)")
        #expect(monitor.namespace == metrics.namespace, "\(rendering): \(monitor.identity) looks in the metrics Service's namespace")
        guard case .mapping(let selector)? = monitor.at("spec", "selector", "matchLabels") else {
            Issue.record("\(rendering): \(monitor.identity) has no spec.selector.matchLabels")
            continue
        }
        let selected = documents.filter { service in
            service.kind == "Service" && service.namespace == monitor.namespace
                && selector.allSatisfy { service.labels[$0.key] == $0.value.string }
        }
        #expect(selected.contains(metrics), "\(rendering): \(monitor.identity) does not select \(metrics.identity)")
        let endpoints = monitor.at("spec", "endpoints")?.items ?? []
        #expect(endpoints.count == 1, "\(rendering): \(monitor.identity) endpoints")
        for endpoint in endpoints {
            #expect(endpoint.at("port") == "metrics", "\(rendering): \(monitor.identity) scrapes the port named metrics")
            #expect(endpoint.at("targetPort") == nil, "\(rendering): \(monitor.identity) names the Service port, not a pod port")
            #expect(endpoint.at("path") == "/metrics", "\(rendering)")
            #expect(endpoint.at("scheme") == nil || endpoint.at("scheme") == "http", "\(rendering)")
            // What Prometheus scrapes: the selected Services' ports of that name.
            let scraped = selected.flatMap { service in
                (service.at("spec", "ports")?.items ?? []).filter { $0.at("name") == endpoint.at("port") }.map { (service.identity, containerPort($0.at("targetPort"))) }
            }
            #expect(scraped.map(\.0) == [metrics.identity], "\(rendering): \(monitor.identity) scrapes \(scraped.map(\.0))")
            #expect(scraped.allSatisfy { $0.1 == metricsPort }, "\(rendering): \(monitor.identity) reaches \(scraped.map(\.1)), not the operations listener")
        }
    }
}

/// Asserts a Job spec gives up quickly, never retries and keeps its pod for a day.
func expectBoundedJob(_ job: ManifestValue, of owner: ManifestValue) {
    let name = owner.identity
    #expect(job.at("backoffLimit") == 0, "\(name)")
    #expect(job.at("activeDeadlineSeconds") == 600, "\(name): 300 s jitter + about 30 s of work, with room")
    #expect(job.at("ttlSecondsAfterFinished") == 86400, "\(name): the last run's logs stay readable for a day")
}

/// Asserts the pod runs usage-agent from the project's image with the ConfigMap's settings.
func expectAgentPod(_ pod: ManifestValue, of owner: ManifestValue) {
    let name = owner.identity
    #expect(pod.at("metadata", "annotations") == ["sidecar.istio.io/inject": "false"], "\(name)")
    #expect(pod.labels == ManifestValue.telemetryLabels, "\(name)")
    #expect(pod.at("spec", "restartPolicy") == "Never", "\(name)")
    #expect(pod.at("spec", "enableServiceLinks") == false, "\(name)")
    let containers = pod.at("spec", "containers")?.items ?? []
    #expect(containers.count == 1, "\(name)")
    guard let container = containers.first else { return }
    #expect(container.at("name") == "usage-agent", "\(name)")
    #expect(container.at("image") == .scalar("public.ecr.aws/kubeflow-on-aws/usage-agent:\(AgentVersion.current)"), "\(name): the tag scripts/build-images.sh gives")
    #expect(container.at("command") == ["/usr/local/bin/usage-agent"], "\(name)")
    #expect(container.at("envFrom") == [["configMapRef": ["name": "aws-kubeflow-telemetry-config"]]], "\(name)")
    #expect(container.at("resources") == [
        "requests": ["cpu": "10m", "memory": "32Mi"],
        "limits": ["cpu": "100m", "memory": "64Mi"],
    ], "\(name)")
    #expect(container.at("securityContext", "runAsUser") == 65532, "\(name)")
    #expect(container.at("securityContext", "runAsGroup") == 65532, "\(name)")
}

/// The one resource of `kind` named `name`, recording an issue when there is none.
func resource(kind: String, name: String, in documents: [ManifestValue]) throws -> ManifestValue {
    try #require(documents.first { $0.kind == kind && $0.name == name }, "no \(kind)/\(name) among \(documents.map(\.identity))")
}

/// Comments out the line of a kustomization that includes the aws-telemetry component, the way
/// the docs tell users to; returns the edited text and the lines it commented out.
func commentOutTelemetry(in kustomization: String) -> (text: String, commentedLines: [String]) {
    var lines: [String] = []
    var commented: [String] = []
    for line in kustomization.split(separator: "\n", omittingEmptySubsequences: false) {
        let content = line.drop(while: { $0 == " " })
        let entry = content.split(separator: " ", maxSplits: 2)
        if entry.count >= 2, entry[0] == "-", entry[1] == "../../awsconfigs/common/aws-telemetry" {
            let indentation = line.prefix(line.count - content.count)
            lines.append("\(indentation)# \(content)")
            commented.append(String(line))
        } else {
            lines.append(String(line))
        }
    }
    return (lines.joined(separator: "\n"), commented)
}

// MARK: - Containers of rendered manifests

/// The command and arguments of one container, as a manifest gives them to the container runtime.
struct ContainerInvocation: Sendable, Hashable {
    /// `Kind/name` of the resource whose pod template holds the container.
    var resource: String
    var container: String
    var image: String
    /// The container's `command` (empty: the image's entrypoint).
    var command: [String]
    /// The container's `args`, what an argument parser sees after the executable.
    var arguments: [String]

    /// The executable's file name, such as `usage-agent`, from the command's first word.
    var executable: String? {
        command.first.map { URL(fileURLWithPath: $0).lastPathComponent }
    }
}

/// The `command` and `args` of every container and init container in `documents`.
func containerInvocations(in documents: [ManifestValue]) -> [ContainerInvocation] {
    documents.flatMap { document -> [ContainerInvocation] in
        guard let pod = document.podTemplate else { return [] }
        let containers = (pod.at("spec", "initContainers")?.items ?? []) + (pod.at("spec", "containers")?.items ?? [])
        return containers.map { container in
            ContainerInvocation(
                resource: document.identity,
                container: container.at("name")?.string ?? "",
                image: container.at("image")?.string ?? "",
                command: container.at("command")?.strings ?? [],
                arguments: container.at("args")?.strings ?? []
            )
        }
    }
}

// MARK: - Kustomizations

/// A kustomization of this repository and the golden file of its rendered output.
struct Kustomization: Sendable, CustomStringConvertible {
    /// The folder, relative to the repository root.
    var path: String
    /// The file name under Tests/ManifestTests/Golden/.
    var goldenFile: String

    var description: String { path }

    static let telemetry = Kustomization(path: "awsconfigs/common/aws-telemetry", goldenFile: "aws-telemetry.yaml")
    static let kubernetesAPIFallback = Kustomization(
        path: "awsconfigs/common/aws-telemetry/kubernetes-api-fallback",
        goldenFile: "aws-telemetry-kubernetes-api-fallback.yaml"
    )
    static let vanilla = Kustomization(path: "deployments/vanilla", goldenFile: "vanilla.yaml")
    static let collector = Kustomization(path: "deploy/collector", goldenFile: "collector.yaml")
    /// The documented overlay that keeps the component but switches the agent off.
    static let trackingOff = Kustomization(path: "docs/examples/usage-tracking-off", goldenFile: "usage-tracking-off.yaml")
    static let all: [Kustomization] = [telemetry, kubernetesAPIFallback, vanilla, collector, trackingOff]

    /// The YAML that `kubectl kustomize` renders for this kustomization.
    func renderYAML(tools: ManifestTools) throws -> String {
        try Self.renderYAML(RepositoryPath.url(path), tools: tools)
    }

    /// The rendered resources, parsed.
    func render(tools: ManifestTools) throws -> [ManifestValue] {
        try ManifestValue.documents(fromYAML: renderYAML(tools: tools))
    }

    /// Every container's command and arguments in the rendered kustomization.
    func renderContainerInvocations(tools: ManifestTools) throws -> [ContainerInvocation] {
        containerInvocations(in: try render(tools: tools))
    }

    /// `kubectl kustomize DIRECTORY`, which fails the test when kustomize does.
    static func renderYAML(_ directory: URL, tools: ManifestTools) throws -> String {
        let result = try Command.run(tools.kubectl, ["kustomize", directory.path])
        try #require(result.status == 0, "kubectl kustomize \(directory.path) failed: \(result.standardError)")
        return result.standardOutput
    }
}

/// `kubernetes-validate --strict` on rendered YAML: schema errors and unknown fields fail.
enum KubernetesValidate {
    /// The oldest Kubernetes version the manifests target (CronJob timeZone is GA since 1.27)
    /// and a recent one.
    static let kubernetesVersions = ["1.29.0", "1.33.0"]

    /// Custom resources kubernetes-validate has no schema for (it would only warn "Couldn't find
    /// schema", which fails below), by `apiVersion/kind`, each with the check of its shape that
    /// these tests do instead: the Prometheus Operator's ServiceMonitor (the chart's
    /// metrics.serviceMonitor.enabled).
    static let customResourceChecks: [String: @Sendable (ManifestValue, String) -> Void] = [
        "monitoring.coreos.com/v1/ServiceMonitor": expectServiceMonitorShape,
    ]

    static func check(_ yaml: String, named fileName: String, tools: ManifestTools) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let file = scratch.url.appendingPathComponent(fileName)
        // Every document of a kind listed above is checked here and left out of the file given to
        // kubernetes-validate; every other document, of whatever kind, goes to it.
        var validated = ""
        for chunk in documentTexts(yaml) {
            let documents = try ManifestValue.documents(fromYAML: chunk)
            if documents.count == 1, let document = documents.first,
               let check = customResourceChecks["\(document.at("apiVersion")?.string ?? "")/\(document.kind ?? "")"] {
                check(document, fileName)
            } else {
                validated += "---\n" + chunk
            }
        }
        try validated.write(to: file, atomically: true, encoding: .utf8)
        var arguments = ["--strict", "--quiet"]
        for version in kubernetesVersions {
            arguments += ["--kubernetes-version", version]
        }
        let result = try Command.run(tools.kubernetesValidate, arguments + [file.path])
        let report = result.standardOutput + result.standardError
        #expect(result.status == 0, "kubernetes-validate rejected \(fileName):\n\(report)")
        // A kind without a schema is only a warning for kubernetes-validate; here it fails.
        #expect(!report.contains("WARN"), "kubernetes-validate warned about \(fileName):\n\(report)")
    }

    /// The text of each document of a YAML stream, split at the lines `---` that kubectl and
    /// helm print between documents.
    static func documentTexts(_ yaml: String) -> [String] {
        var chunks: [String] = []
        var current = ""
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "---" {
                if !current.isEmpty { chunks.append(current) }
                current = ""
            } else {
                current += line + "\n"
            }
        }
        if !current.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { chunks.append(current) }
        return chunks
    }
}

/// Golden files: the rendered output of each kustomization, kept in the repository so that a
/// reviewer sees exactly what reaches the cluster.
enum GoldenFile {
    static func compare(_ rendered: String, with fileName: String) throws {
        let file = RepositoryPath.url("Tests/ManifestTests/Golden").appendingPathComponent(fileName)
        if let update = ProcessInfo.processInfo.environment["UPDATE_GOLDEN_FILES"], !update.isEmpty {
            try rendered.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let golden = try String(contentsOf: file, encoding: .utf8)
        guard rendered != golden else { return }
        let renderedLines = rendered.split(separator: "\n", omittingEmptySubsequences: false)
        let goldenLines = golden.split(separator: "\n", omittingEmptySubsequences: false)
        let line = zip(renderedLines, goldenLines).prefix { $0 == $1 }.count
        let expected = line < goldenLines.count ? goldenLines[line] : "(end of file)"
        let actual = line < renderedLines.count ? renderedLines[line] : "(end of output)"
        Issue.record(
            "Golden/\(fileName) differs from the rendered manifests at line \(line + 1): golden `\(expected)`, rendered `\(actual)`. Run the tests with UPDATE_GOLDEN_FILES=1 to accept the change."
        )
    }
}

// MARK: - Tools

/// `kubectl` and `kubernetes-validate`, found on PATH.
struct ManifestTools: Sendable {
    var kubectl: URL
    var kubernetesValidate: URL

    static let onPath: ManifestTools? = {
        guard let kubectl = ManifestTools.executable(named: "kubectl"),
              let kubernetesValidate = ManifestTools.executable(named: "kubernetes-validate")
        else { return nil }
        return ManifestTools(kubectl: kubectl, kubernetesValidate: kubernetesValidate)
    }()

    static var runningOnCI: Bool {
        !(ProcessInfo.processInfo.environment["CI"] ?? "").isEmpty
    }

    /// Whether the tests that need the tools run: when both are there, and always on CI, where a
    /// missing tool is a failure rather than a skip.
    static var testsRun: Bool { onPath != nil || runningOnCI }

    /// The tools, or a failed test that says which one to install.
    static func required() throws -> ManifestTools {
        let kubectl = try #require(executable(named: "kubectl"), "kubectl is not on PATH")
        let kubernetesValidate = try #require(
            executable(named: "kubernetes-validate"),
            "kubernetes-validate is not on PATH (pip install kubernetes-validate)"
        )
        return ManifestTools(kubectl: kubectl, kubernetesValidate: kubernetesValidate)
    }

    static func executable(named name: String) -> URL? {
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in searchPath.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
        }
        return nil
    }
}

/// What a finished command printed and how it exited.
struct CommandResult: Sendable {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

enum Command {
    /// Runs `executable` and waits for it (output to files, through ``ProcessRunner``).
    static func run(_ executable: URL, _ arguments: [String]) throws -> CommandResult {
        let result = try ProcessRunner.run(executable.path, arguments, timeout: 600)
        return CommandResult(status: result.exitCode, standardOutput: result.standardOutput, standardError: result.standardError)
    }
}

// MARK: - Files

enum RepositoryPath {
    /// The repository root: this file is Tests/ManifestTests/ManifestTests.swift.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }
}

/// A temporary directory that the caller removes.
struct ScratchDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("manifest-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Copies `source` to `relativePath` inside this directory, creating the folders above it.
    func copy(_ source: URL, to relativePath: String) throws {
        let destination = url.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(
            at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source, to: destination)
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// A Dockerfile's text and its stages by name (`FROM image AS name`).
struct Dockerfile {
    struct Stage {
        /// The image the stage starts FROM (`scratch`, `${SWIFT_IMAGE}`, …).
        var base = ""
        /// The stage's instructions after its FROM line, trimmed.
        var lines: [String] = []

        /// The exec-form ENTRYPOINT, such as `["/usr/local/bin/usage-agent"]`.
        var entrypoint: [String]? {
            guard let line = lines.last(where: { $0.hasPrefix("ENTRYPOINT ") }) else { return nil }
            let json = line.dropFirst("ENTRYPOINT ".count)
            return try? JSONDecoder().decode([String].self, from: Data(json.utf8))
        }
    }

    var text: String
    var stages: [String: Stage] = [:]

    init(contentsOf url: URL) throws {
        text = try String(contentsOf: url, encoding: .utf8)
        var current: String?
        for rawLine in text.split(separator: "\n") {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            let words = line.split(separator: " ")
            if words.count == 4, words[0].uppercased() == "FROM", words[2].uppercased() == "AS" {
                current = String(words[3])
                stages[String(words[3])] = Stage(base: String(words[1]))
            } else if let name = current, !line.isEmpty, !line.hasPrefix("#") {
                stages[name]?.lines.append(line)
            }
        }
    }
}

// MARK: - YAML

/// A YAML value as Kubernetes manifests use it: scalars kept as their text, so `600`, `"600"`
/// and `true` compare with literals (`kubernetes-validate` checks the types).
enum ManifestValue: Sendable, Hashable {
    case scalar(String)
    case sequence([ManifestValue])
    case mapping([String: ManifestValue])

    /// Every document of a multi-document YAML stream, as `kubectl kustomize` prints it.
    static func documents(fromYAML yaml: String) throws -> [ManifestValue] {
        var nodes = try Yams.compose_all(yaml: yaml)
        var documents: [ManifestValue] = []
        while let node = nodes.next() {
            documents.append(ManifestValue(node))
        }
        if let error = nodes.error {
            throw error
        }
        return documents
    }

    init(_ node: Node) {
        if let mapping = node.mapping {
            var entries: [String: ManifestValue] = [:]
            for (key, value) in mapping {
                entries[key.string ?? ""] = ManifestValue(value)
            }
            self = .mapping(entries)
        } else if let sequence = node.sequence {
            self = .sequence(sequence.map { ManifestValue($0) })
        } else {
            self = .scalar(node.scalar?.string ?? "")
        }
    }

    /// The value at a path of mapping keys, such as `at("spec", "schedule")`.
    func at(_ path: String...) -> ManifestValue? {
        var current: ManifestValue? = self
        for key in path {
            guard case .mapping(let entries)? = current else { return nil }
            current = entries[key]
        }
        return current
    }

    var string: String? {
        if case .scalar(let text) = self { return text }
        return nil
    }

    /// The items of a sequence; empty for anything else.
    var items: [ManifestValue] {
        if case .sequence(let items) = self { return items }
        return []
    }

    var strings: [String] { items.compactMap(\.string) }

    // MARK: Kubernetes resources

    var kind: String? { at("kind")?.string }
    var name: String? { at("metadata", "name")?.string }
    var namespace: String? { at("metadata", "namespace")?.string }
    /// `Kind/name`, for messages.
    var identity: String { "\(kind ?? "?")/\(name ?? "?")" }

    var labels: [String: String] {
        guard case .mapping(let entries)? = at("metadata", "labels") else { return [:] }
        return entries.compactMapValues(\.string)
    }

    /// The pod template (`metadata` and `spec`) of a workload, or the pod itself.
    var podTemplate: ManifestValue? {
        switch kind {
        case "CronJob": return at("spec", "jobTemplate", "spec", "template")
        case "Pod": return self
        case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job": return at("spec", "template")
        default: return nil
        }
    }

    static let telemetryLabels: [String: String] = [
        "app.kubernetes.io/name": "aws-kubeflow-telemetry",
        "app.kubernetes.io/component": "usage-agent",
        "app.kubernetes.io/part-of": "kubeflow-on-aws",
    ]
}

extension ManifestValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    init(stringLiteral value: String) { self = .scalar(value) }
    init(integerLiteral value: Int) { self = .scalar(String(value)) }
    init(booleanLiteral value: Bool) { self = .scalar(value ? "true" : "false") }
    init(arrayLiteral elements: ManifestValue...) { self = .sequence(elements) }
    init(dictionaryLiteral elements: (String, ManifestValue)...) {
        self = .mapping(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
