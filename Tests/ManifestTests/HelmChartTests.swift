import Foundation
import Logging
import Testing
import UsageAgent
@testable import UsageAgentCLI
@testable import UsageCollectorCLI

// The Helm charts under test, charts/common/aws-telemetry and charts/usage-collector: each is
// linted with `helm lint --strict`, rendered with `helm template` for its defaults and a few value
// sets, validated with `kubernetes-validate --strict` and checked as the kustomizations are
// (labels, restricted Pod Security, amd64 nodes); the telemetry chart's objects are compared
// field by field with the kustomize component's.
//
// Needs helm (v4; scripts/install-helm.sh puts it in .tools/bin, which is looked in after PATH),
// kubectl and kubernetes-validate. Without them these tests are skipped, except when CI is set:
// there they fail. UPDATE_GOLDEN_FILES=1 rewrites the charts' golden files too.

@Suite(
    "Helm charts",
    .serialized,
    .enabled(
        if: HelmTools.testsRun,
        "needs helm (scripts/install-helm.sh installs it into .tools/bin), kubectl and kubernetes-validate; with CI set, their absence fails"
    )
)
struct HelmChartTests {
    @Test("helm lint --strict passes on each chart with each value set", arguments: ChartRendering.all)
    func lints(_ rendering: ChartRendering) throws {
        let tools = try HelmTools.required()
        let result = try rendering.run(tools: tools, ["lint", "--strict"], withRelease: false)
        #expect(result.status == 0, "helm lint --strict \(rendering): \(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains("0 chart(s) failed"), "\(result.standardOutput)")
    }

    @Test("every rendering validates strictly, carries the labels, meets restricted Pod Security and matches its golden file", arguments: ChartRendering.all)
    func rendersAndValidates(_ rendering: ChartRendering) throws {
        let tools = try HelmTools.required()
        let yaml = try rendering.renderYAML(tools: tools)
        let documents = try ManifestValue.documents(fromYAML: yaml)
        if let goldenFile = rendering.goldenFile {
            try GoldenFile.compare(yaml, with: goldenFile)
        }
        guard !documents.isEmpty else {
            #expect(rendering.rendersNothing, "\(rendering) renders no object")
            return
        }
        #expect(!rendering.rendersNothing, "\(rendering) should render nothing: \(documents.map(\.identity))")
        try KubernetesValidate.check(yaml, named: "\(rendering.slug).yaml", tools: tools.manifest)
        for document in documents {
            for key in ["app.kubernetes.io/name", "app.kubernetes.io/component"] {
                #expect(document.labels[key] != nil, "\(rendering): \(document.identity) has no label \(key)")
            }
            #expect(document.labels["app.kubernetes.io/part-of"] == "kubeflow-on-aws", "\(rendering): \(document.identity)")
            #expect(document.labels["app.kubernetes.io/managed-by"] == "Helm", "\(rendering): \(document.identity)")
            if let pod = document.podTemplate {
                expectHardened(pod: pod, of: document)
                #expect(pod.at("spec", "automountServiceAccountToken") != nil, "\(rendering): \(document.identity) says whether a token is mounted")
            }
        }
    }

    @Test(
        "the aws-telemetry chart renders the kustomization's objects, field by field, apart from Helm's own labels",
        arguments: [
            (ChartRendering.telemetryDefaults, Kustomization.telemetry),
            (.telemetryKubernetesAPIFallback, .kubernetesAPIFallback),
            (.telemetryTrackingOff, .trackingOff),
        ]
    )
    func telemetryChartMatchesKustomization(_ rendering: ChartRendering, _ kustomization: Kustomization) throws {
        let tools = try HelmTools.required()
        let chart = try rendering.render(tools: tools).map { $0.removingLabels(ManifestValue.helmLabels) }
        let component = try kustomization.render(tools: tools.manifest)
        #expect(chart.map(\.identity).sorted() == component.map(\.identity).sorted(), "\(rendering) and \(kustomization) render other objects")
        for object in component {
            guard let rendered = chart.first(where: { $0.kind == object.kind && $0.name == object.name }) else { continue }
            let differences = rendered.differences(from: object)
            #expect(differences.isEmpty, "\(object.identity): \(rendering) differs from \(kustomization):\n\(differences.joined(separator: "\n"))")
        }
    }

    @Test("enabled=false renders no CronJob, no Job and nothing else, whatever else is set")
    func disabledRendersNothing() throws {
        let tools = try HelmTools.required()
        for rendering in [ChartRendering.telemetryDisabled, ChartRendering.telemetryDisabled.adding(["kubernetesAPIFallback.enabled=true", "config.nodeChoice=oldest"])] {
            let result = try rendering.run(tools: tools, ["template"])
            #expect(result.status == 0, "\(rendering): \(result.standardError)")
            let documents = try ManifestValue.documents(fromYAML: result.standardOutput)
            #expect(documents.isEmpty, "\(rendering) renders \(documents.map(\.identity))")
        }
        let enabled = try ChartRendering.telemetryDefaults.render(tools: tools)
        #expect(enabled.contains { $0.kind == "CronJob" } && enabled.contains { $0.kind == "Job" }, "the defaults do render the jobs")
    }

    @Test("every pod template of every rendering requires amd64 nodes: the charts, the component, vanilla, deploy/collector", arguments: PodRendering.all)
    func everyPodRequiresAMD64Nodes(_ rendering: PodRendering) throws {
        let tools = try HelmTools.required()
        let documents = try rendering.render(tools: tools)
        let pods = documents.compactMap { document in document.podTemplate.map { (document, $0) } }
        #expect(!pods.isEmpty || rendering.rendersNothing, "\(rendering) has no pod template")
        for (owner, pod) in pods {
            expectRequiresAMD64(pod, of: owner, in: "\(rendering)")
        }
    }

    @Test("a user's node affinity, nodeSelector and tolerations add to the amd64 requirement instead of replacing it", arguments: [ChartRendering.telemetryCustomised, .collectorIngress])
    func schedulingValuesAddToTheRequirement(_ rendering: ChartRendering) throws {
        let tools = try HelmTools.required()
        let documents = try rendering.render(tools: tools)
        let pods = documents.compactMap(\.podTemplate)
        #expect(!pods.isEmpty)
        for pod in pods {
            let terms = pod.at("spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")?.items ?? []
            #expect(terms.count == 2, "one term per requiredTerms entry: \(terms)")
            #expect(terms.map { $0.at("matchExpressions")?.items.count ?? 0 } == [2, 2], "amd64 and the user's expression in each term: \(terms)")
            #expect(terms.first?.at("matchExpressions")?.items.last == ["key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]])
            #expect(pod.at("spec", "affinity", "nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution")?.items.count == 1)
            #expect(pod.at("spec", "nodeSelector") == ["node.kubernetes.io/lifecycle": "normal"])
            #expect(pod.at("spec", "tolerations") == [["key": "dedicated", "operator": "Equal", "value": "kubeflow", "effect": "NoSchedule"]])
        }
    }

    @Test("values that cannot work make helm template fail with a message naming the value", arguments: BadValues.all)
    func badValuesFail(_ bad: BadValues) throws {
        let tools = try HelmTools.required()
        let rendering = ChartRendering(name: bad.description, chart: bad.chart, release: "bad-values", namespace: "default", overrides: bad.overrides)
        let result = try rendering.run(tools: tools, ["template"])
        #expect(result.status != 0, "\(bad) rendered:\n\(result.standardOutput)")
        #expect(result.standardError.contains(bad.message), "\(bad): the message does not say \(bad.message):\n\(result.standardError)")
        #expect(try ManifestValue.documents(fromYAML: result.standardOutput).isEmpty, "\(bad) printed objects")
    }

    @Test("the aws-telemetry chart's containers and ConfigMap make the agent configuration its values say", arguments: [
        ChartRendering.telemetryDefaults, .telemetryKubernetesAPIFallback, .telemetryTrackingOff, .telemetryCustomised,
    ])
    func agentConfiguration(_ rendering: ChartRendering) throws {
        let tools = try HelmTools.required()
        let documents = try rendering.render(tools: tools)
        let configMap = try resource(kind: "ConfigMap", name: "aws-kubeflow-telemetry-config", in: documents)
        let environment = configMap.at("data").map { value -> [String: String] in
            guard case .mapping(let entries) = value else { return [:] }
            return entries.compactMapValues(\.string)
        } ?? [:]
        let agents = containerInvocations(in: documents).filter { $0.executable == "usage-agent" }
        #expect(agents.map(\.resource).sorted() == ["CronJob/aws-kubeflow-telemetry", "Job/aws-kubeflow-telemetry-install"])
        for agent in agents {
            let parsed = try #require(try UsageAgentCommand.parseAsRoot(agent.arguments) as? UsageAgentCommand, "\(agent.resource) does not run the agent command")
            let configuration = try AgentConfiguration.resolve(flags: parsed.flags, environment: environment)
            #expect(configuration.jitterSeconds == (agent.resource.hasPrefix("Job/") ? 0 : rendering.expectedJitter), "\(rendering) \(agent.resource)")
            switch rendering.slug {
            case ChartRendering.telemetryTrackingOff.slug:
                #expect(OptOut.reason(environment: environment) == "USAGE_TRACKING_ENABLED=false")
            case ChartRendering.telemetryCustomised.slug:
                #expect(OptOut.reason(environment: environment) == nil)
                #expect(configuration.pingProtocol == .json)
                #expect(configuration.collectorURL == "https://usage.example.com")
                #expect(configuration.proxy.https?.host == "proxy.corp.example" && configuration.proxy.https?.port == 3128)
                #expect(configuration.proxy.noProxy == [".corp.example"])
                // The CA bundle the agent is told to read is the one the pod mounts.
                let pod = try #require(documents.first { $0.identity == agent.resource }?.podTemplate)
                let caFile = try #require(configuration.caFile)
                let mount = try #require(pod.at("spec", "containers")?.items.first?.at("volumeMounts")?.items.first)
                #expect(caFile == "\(mount.at("mountPath")?.string ?? "?")/ca.pem", "SSL_CERT_FILE \(caFile) is not in the mounted volume")
                #expect(pod.at("spec", "volumes") == [["name": "ca-bundle", "secret": ["secretName": "corporate-ca", "items": [["key": "ca.pem", "path": "ca.pem"]]]]])
                #expect(agent.image == "public.ecr.aws/kubeflow-on-aws/usage-agent:\(AgentVersion.current)@sha256:\(String(repeating: "0123456789abcdef", count: 4))")
            default:
                #expect(OptOut.reason(environment: environment) == nil, "tracking is on by default")
                #expect(configuration.pingProtocol == .s3)
                #expect(agent.image == "public.ecr.aws/kubeflow-on-aws/usage-agent:\(AgentVersion.current)", "the tag scripts/build-images.sh gives")
            }
        }
        if rendering.slug == ChartRendering.telemetryCustomised.slug {
            let cronJob = try resource(kind: "CronJob", name: "aws-kubeflow-telemetry", in: documents)
            #expect(cronJob.at("spec", "jobTemplate", "spec", "activeDeadlineSeconds") == 1200, "the deadline grows with a longer jitter (900 s + 300 s)")
            #expect(cronJob.at("spec", "schedule") == "30 2 * * *")
            #expect(cronJob.at("spec", "timeZone") == "Europe/Berlin")
            #expect(cronJob.labels["team"] == "ml")
            #expect(cronJob.at("metadata", "annotations") == ["argocd.argoproj.io/sync-wave": "5"])
            #expect(cronJob.podTemplate?.at("metadata", "annotations") == ["sidecar.istio.io/inject": "false", "karpenter.sh/do-not-disrupt": "true"])
        }
    }

    @Test("the usage-collector chart runs the container deploy/collector runs")
    func collectorChartRunsWhatDeployCollectorRuns() throws {
        let tools = try HelmTools.required()
        let chart = try ChartRendering.collectorDefaults.render(tools: tools)
        let kustomized = try Kustomization.collector.render(tools: tools.manifest)
        #expect(Set(chart.map(\.identity)) == Set(kustomized.filter { $0.kind != "Namespace" }.map(\.identity)), "the objects of deploy/collector but its Namespace")
        #expect(Set(chart.map(\.identity)) == [
            "PersistentVolumeClaim/usage-collector-data", "Deployment/usage-collector", "Service/usage-collector", "Service/usage-collector-metrics",
        ])
        #expect(chart.allSatisfy { $0.namespace == "usage-tracking" }, "the release's namespace")

        let deployment = try resource(kind: "Deployment", name: "usage-collector", in: chart)
        let original = try resource(kind: "Deployment", name: "usage-collector", in: kustomized)
        for path in [["spec", "replicas"], ["spec", "strategy"]] {
            #expect(deployment.at(path) == original.at(path), "\(path.joined(separator: "."))")
        }
        let pod = try #require(deployment.podTemplate)
        let originalPod = try #require(original.podTemplate)
        for field in ["securityContext", "automountServiceAccountToken", "enableServiceLinks", "affinity", "volumes"] {
            #expect(pod.at("spec", field) == originalPod.at("spec", field), "pod spec.\(field)")
        }
        #expect(pod.at("metadata", "annotations") == originalPod.at("metadata", "annotations"))
        let container = try #require(pod.at("spec", "containers")?.items.first)
        let originalContainer = try #require(originalPod.at("spec", "containers")?.items.first)
        for field in ["name", "image", "imagePullPolicy", "command", "args", "workingDir", "ports", "readinessProbe", "livenessProbe", "resources", "securityContext", "volumeMounts"] {
            #expect(container.at(field) == originalContainer.at(field), "container \(field)")
        }
        let adminToken = originalContainer.at("env")?.items.first { $0.at("name") == "USAGE_ADMIN_TOKEN" }
        #expect(container.at("env")?.items.contains { $0 == adminToken } == true, "the admin token from the Secret usage-collector-admin, required")
        #expect(container.at("env")?.items.contains { $0.at("name") == "USAGE_DATABASE_URL" } == false, "SQLite: no database URL")

        for name in ["usage-collector", "usage-collector-metrics"] {
            let service = try resource(kind: "Service", name: name, in: chart)
            let originalService = try resource(kind: "Service", name: name, in: kustomized)
            for field in ["type", "ports"] {
                #expect(service.at("spec", field) == originalService.at("spec", field), "Service/\(name) spec.\(field)")
            }
            #expect(service.at("spec", "selector") == deployment.at("spec", "selector", "matchLabels"))
        }
        let claim = try resource(kind: "PersistentVolumeClaim", name: "usage-collector-data", in: chart)
        let originalClaim = try resource(kind: "PersistentVolumeClaim", name: "usage-collector-data", in: kustomized)
        #expect(claim.at("spec") == originalClaim.at("spec"))
        #expect(claim.at("metadata", "annotations", "helm.sh/resource-policy") == "keep", "helm uninstall keeps the database")
    }

    @Test("the usage-collector chart's storage: SQLite is one Recreate replica on a claim; PostgreSQL is N RollingUpdate replicas, the URL from a Secret, a PodDisruptionBudget")
    func collectorStorage() throws {
        let tools = try HelmTools.required()
        let sqlite = try ChartRendering.collectorDefaults.render(tools: tools)
        #expect(!sqlite.contains { $0.kind == "PodDisruptionBudget" || $0.kind == "Ingress" || $0.kind == "ServiceMonitor" })

        let postgres = try ChartRendering.collectorPostgres.render(tools: tools)
        #expect(Set(postgres.map(\.identity)) == ["Deployment/usage-collector", "Service/usage-collector", "Service/usage-collector-metrics", "PodDisruptionBudget/usage-collector"])
        let deployment = try resource(kind: "Deployment", name: "usage-collector", in: postgres)
        #expect(deployment.at("spec", "replicas") == 3)
        #expect(deployment.at("spec", "strategy") == ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 1, "maxUnavailable": 0]])
        let pod = try #require(deployment.podTemplate)
        #expect(pod.at("spec", "volumes") == [["name": "tmp", "emptyDir": ["sizeLimit": "64Mi"]]], "no volume claim: collectors are stateless")
        let env = pod.at("spec", "containers")?.items.first?.at("env")?.items ?? []
        #expect(env.contains(["name": "USAGE_DATABASE_URL", "valueFrom": ["secretKeyRef": ["name": "usage-collector-database", "key": "url", "optional": false]]]))
        let budget = try resource(kind: "PodDisruptionBudget", name: "usage-collector", in: postgres)
        #expect(budget.at("spec", "maxUnavailable") == 1)
        #expect(budget.at("spec", "selector", "matchLabels") == deployment.at("spec", "selector", "matchLabels"))

        let ingress = try resource(kind: "Ingress", name: "usage-collector", in: ChartRendering.collectorIngress.render(tools: tools))
        #expect(ingress.at("spec", "rules") == [[
            "host": "usage.example.com",
            "http": ["paths": [["path": "/", "pathType": "Prefix", "backend": ["service": ["name": "usage-collector", "port": ["name": "http"]]]]]],
        ]])
        #expect(ingress.at("spec", "tls") == [["hosts": ["usage.example.com"], "secretName": "usage-tls"]])
        #expect(ingress.at("spec", "ingressClassName") == "alb")
    }

    @Test("the usage-collector chart's arguments and environment make the serve configuration its values say", arguments: [
        ChartRendering.collectorDefaults, .collectorPostgres, .collectorIngress, .collectorPseudonymized, .collectorServiceMonitor,
    ])
    func collectorConfiguration(_ rendering: ChartRendering) throws {
        let tools = try HelmTools.required()
        let documents = try rendering.render(tools: tools)
        let deployment = try #require(documents.first { $0.kind == "Deployment" })
        let pod = try #require(deployment.podTemplate)
        let container = try #require(pod.at("spec", "containers")?.items.first)
        let invocation = try #require(containerInvocations(in: [deployment]).first)
        let serve = try #require(try UsageCollectorCommand.parseAsRoot(invocation.arguments) as? Serve, "\(invocation.arguments) is not the serve command")

        // The environment the kubelet would give, with the Secrets the chart names.
        let secrets = ["token": String(repeating: "t", count: 32), "url": "postgres://usage:secret@db.example.com:5432/usage"]
        var environment: [String: String] = [:]
        for variable in container.at("env")?.items ?? [] {
            let name = try #require(variable.at("name")?.string)
            if let value = variable.at("value")?.string {
                environment[name] = value
            } else if let key = variable.at("valueFrom", "secretKeyRef", "key")?.string {
                environment[name] = try #require(secrets[key], "a Secret key \(key) this test does not know")
            }
        }
        let configuration = try serve.configuration(in: environment, logger: Logger(label: "helm-chart-test"))
        let store = try serve.store.resolve(in: environment)
        #expect(configuration.host == "0.0.0.0" && configuration.port == 8080)
        #expect(configuration.metricsHost == "0.0.0.0" && configuration.metricsPort == rendering.expectedMetricsPort, "the operations listener the probes and Prometheus use")
        let metricsPort = container.at("ports")?.items.first { $0.at("name") == "metrics" }?.at("containerPort")
        #expect(metricsPort == .scalar("\(configuration.metricsPort ?? -1)"), "the container port `metrics` is the one the collector listens on")
        #expect(configuration.adminToken == secrets["token"])
        switch rendering.slug {
        case ChartRendering.collectorPostgres.slug:
            #expect(store.database == secrets["url"])
            #expect(store.waitForDatabaseSeconds == 60)
        case ChartRendering.collectorPseudonymized.slug:
            #expect(store.database == "./usage.sqlite", "SQLite in workingDir /data")
            let keyFile = try #require(store.pseudonymizeKeyFile)
            let mount = try #require(container.at("volumeMounts")?.items.first { $0.at("name") == "pseudonymize-key" })
            #expect(keyFile == "\(mount.at("mountPath")?.string ?? "?")/key", "the key file is in the mounted Secret")
            #expect(mount.at("readOnly") == true)
            #expect(pod.at("spec", "volumes")?.items.contains { $0.at("secret", "secretName") == "usage-collector-pseudonymize-key" } == true)
            #expect(configuration.retentionDays == 400)
            #expect(configuration.minimumCount == 5)
            #expect(configuration.rateLimit == 2.5 && configuration.rateBurst == 5)
        case ChartRendering.collectorIngress.slug:
            #expect(configuration.trustProxy, "behind the Ingress controller, the client address comes from X-Forwarded-For")
        default:
            #expect(store.database == "./usage.sqlite", "SQLite in workingDir /data")
            #expect(store.pseudonymizeKeyFile == nil)
            #expect(configuration.retentionDays == nil && configuration.minimumCount == nil && !configuration.trustProxy)
            #expect(configuration.rateLimit == 10 && configuration.rateBurst == 20)
        }
    }

    @Test(
        "the collector's probes and Prometheus use the operations listener; the public Service and the Ingress reach the public port only",
        arguments: [PodRendering.kustomization(.collector)] + ChartRendering.collectorRenderings.map { PodRendering.chart($0) }
    )
    func collectorListeners(_ rendering: PodRendering) throws {
        let tools = try HelmTools.required()
        let documents = try rendering.render(tools: tools)
        let metricsPort = if case .chart(let chart) = rendering { chart.expectedMetricsPort } else { 9090 }
        try expectCollectorListeners(documents, in: "\(rendering)", metricsPort: metricsPort)
    }

    @Test("metrics.serviceMonitor.enabled renders a ServiceMonitor that scrapes the metrics Service's port `metrics` by name, with its interval and labels")
    func collectorServiceMonitor() throws {
        let tools = try HelmTools.required()
        let documents = try ChartRendering.collectorServiceMonitor.render(tools: tools)
        #expect(Set(documents.map(\.identity)) == [
            "PersistentVolumeClaim/usage-collector-data", "Deployment/usage-collector", "Service/usage-collector", "Service/usage-collector-metrics",
            "ServiceMonitor/usage-collector",
        ])
        let monitor = try resource(kind: "ServiceMonitor", name: "usage-collector", in: documents)
        expectServiceMonitorShape(monitor, in: ChartRendering.collectorServiceMonitor.slug)
        #expect(monitor.namespace == "usage-tracking")
        #expect(monitor.at("spec", "endpoints") == [["port": "metrics", "path": "/metrics", "scheme": "http", "interval": "1m"]])
        #expect(monitor.labels["release"] == "kube-prometheus-stack", "metrics.serviceMonitor.labels, which a Prometheus selects ServiceMonitors by")
        #expect(monitor.labels["team"] == "ml", "the chart's labels")
        let service = try resource(kind: "Service", name: "usage-collector", in: documents)
        #expect(service.at("spec", "type") == "LoadBalancer", "service.type applies to the public Service")
        #expect(service.labels["release"] == nil, "metrics.serviceMonitor.labels are the ServiceMonitor's only")
        try expectCollectorListeners(documents, in: "\(ChartRendering.collectorServiceMonitor)", metricsPort: 9100)

        // Without an interval, Prometheus's own.
        let noInterval = try ChartRendering.collectorServiceMonitor.adding(["metrics.serviceMonitor.interval="]).render(tools: tools)
        #expect(try resource(kind: "ServiceMonitor", name: "usage-collector", in: noInterval).at("spec", "endpoints") == [["port": "metrics", "path": "/metrics", "scheme": "http"]])
    }

    @Test("the README's helm commands install, upgrade and uninstall both charts, and each install or upgrade renders")
    func readmeCommands() throws {
        let tools = try HelmTools.required()
        let readme = try String(contentsOf: RepositoryPath.url("README.md"), encoding: .utf8)
        let commands = HelmCommand.all(in: readme)
        for chart in ["charts/common/aws-telemetry", "charts/usage-collector"] {
            let release = commands.first { $0.chart == chart }?.release
            #expect(release != nil, "README has no helm install or upgrade of \(chart)")
            for subcommand in ["install", "upgrade", "uninstall"] {
                #expect(commands.contains { $0.subcommand == subcommand && $0.release == release }, "README has no `helm \(subcommand)` of \(chart)'s release")
            }
        }
        #expect(commands.contains { $0.chart == "charts/common/aws-telemetry" && $0.words.contains("enabled=false") }, "README shows the Helm opt-out, enabled=false")
        for command in commands where command.chart != nil {
            let result = try Command.run(tools.helm, command.templateArguments())
            #expect(result.status == 0, "`\(command.line)` does not render: \(result.standardError)")
            let documents = try ManifestValue.documents(fromYAML: result.standardOutput)
            if command.words.contains("enabled=false") {
                #expect(documents.isEmpty, "`\(command.line)` renders \(documents.map(\.identity))")
            } else {
                #expect(!documents.isEmpty, "`\(command.line)` renders nothing")
            }
        }
    }
}

// MARK: - Renderings

/// One `helm template` of a chart of this repository, with a release name, a namespace and values.
struct ChartRendering: Sendable, CustomStringConvertible {
    /// What the value set is, for test names and messages.
    var name: String
    /// The chart's folder, relative to the repository root.
    var chart: String
    var release: String
    var namespace: String
    /// `--set` arguments.
    var overrides: [String] = []
    /// A values file's content (`--values`), when the set needs lists or maps.
    var values: String?
    /// The file name under Tests/ManifestTests/Golden/, for the renderings kept there.
    var goldenFile: String?

    var description: String { "\(chart) (\(name))" }
    var slug: String { "\(URL(fileURLWithPath: chart).lastPathComponent)-\(name)" }
    var rendersNothing: Bool { overrides.contains("enabled=false") }
    /// The CronJob's jitter the values ask for.
    var expectedJitter: Int { values?.contains("jitterSeconds: 900") == true ? 900 : 300 }
    /// The collector's operations listener port the values ask for (metrics.port).
    var expectedMetricsPort: Int {
        overrides.last { $0.hasPrefix("metrics.port=") }.flatMap { Int($0.dropFirst("metrics.port=".count)) } ?? 9090
    }

    func adding(_ more: [String]) -> ChartRendering {
        var copy = self
        copy.overrides += more
        copy.name += " " + more.joined(separator: " ")
        return copy
    }

    static let schedulingValues = """
        nodeSelector: {node.kubernetes.io/lifecycle: normal}
        tolerations: [{key: dedicated, operator: Equal, value: kubeflow, effect: NoSchedule}]
        nodeAffinity:
          requiredTerms:
            - matchExpressions: [{key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}]
            - matchExpressions: [{key: eks.amazonaws.com/capacityType, operator: In, values: [ON_DEMAND]}]
          preferred: [{weight: 50, preference: {matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [us-west-2a]}]}}]
        """

    static let telemetryDefaults = ChartRendering(
        name: "defaults", chart: "charts/common/aws-telemetry", release: "aws-telemetry", namespace: "kubeflow",
        goldenFile: "chart-aws-telemetry.yaml")
    static let telemetryKubernetesAPIFallback = ChartRendering(
        name: "kubernetesAPIFallback", chart: telemetryDefaults.chart, release: "aws-telemetry", namespace: "kubeflow",
        overrides: ["kubernetesAPIFallback.enabled=true", "config.nodeChoice=oldest"])
    static let telemetryTrackingOff = ChartRendering(
        name: "trackingEnabled=false", chart: telemetryDefaults.chart, release: "aws-telemetry", namespace: "kubeflow",
        overrides: ["config.trackingEnabled=false"])
    static let telemetryDisabled = ChartRendering(
        name: "enabled=false", chart: telemetryDefaults.chart, release: "aws-telemetry", namespace: "kubeflow", overrides: ["enabled=false"])
    static let telemetryCustomised = ChartRendering(
        name: "json collector, proxy, CA, digest, scheduling", chart: telemetryDefaults.chart, release: "aws-telemetry", namespace: "kubeflow",
        values: """
            config:
              protocol: json
              collectorURL: https://usage.example.com
              jitterSeconds: 900
              httpsProxy: http://proxy.corp.example:3128
              noProxy: .corp.example
              extraEnv: {USAGE_LOG_LEVEL: debug}
            schedule: "30 2 * * *"
            timeZone: Europe/Berlin
            caBundle: {secretName: corporate-ca, key: ca.pem}
            image: {digest: "sha256:\(String(repeating: "0123456789abcdef", count: 4))"}
            labels: {team: ml}
            annotations: {argocd.argoproj.io/sync-wave: "5"}
            podAnnotations: {karpenter.sh/do-not-disrupt: "true"}
            \(schedulingValues)
            """)

    static let collectorDefaults = ChartRendering(
        name: "defaults", chart: "charts/usage-collector", release: "usage-collector", namespace: "usage-tracking",
        goldenFile: "chart-usage-collector.yaml")
    static let collectorPostgres = ChartRendering(
        name: "PostgreSQL, 3 replicas", chart: collectorDefaults.chart, release: "usage-collector", namespace: "usage-tracking",
        overrides: ["storage.type=postgres", "replicas=3"])
    static let collectorIngress = ChartRendering(
        name: "Ingress", chart: collectorDefaults.chart, release: "usage-collector", namespace: "usage-tracking",
        overrides: ["ingress.enabled=true", "ingress.className=alb", "ingress.host=usage.example.com", "ingress.tlsSecretName=usage-tls", "trustProxy=true"],
        values: schedulingValues)
    static let collectorPseudonymized = ChartRendering(
        name: "pseudonymisation, retention, rate limit", chart: collectorDefaults.chart, release: "usage-collector", namespace: "usage-tracking",
        overrides: ["pseudonymization.enabled=true", "retentionDays=400", "minCount=5", "rateLimit.burst=5"],
        values: "rateLimit: {requestsPerSecond: 2.5}")

    /// The operations listener on another port, a ServiceMonitor, and a LoadBalancer for the
    /// public Service (which the metrics Service must not follow).
    static let collectorServiceMonitor = ChartRendering(
        name: "ServiceMonitor, metrics port 9100, LoadBalancer", chart: collectorDefaults.chart, release: "usage-collector", namespace: "usage-tracking",
        overrides: ["metrics.port=9100", "metrics.serviceMonitor.enabled=true", "metrics.serviceMonitor.interval=1m", "service.type=LoadBalancer"],
        values: "metrics: {serviceMonitor: {labels: {release: kube-prometheus-stack}}}\nlabels: {team: ml}")

    static let collectorRenderings: [ChartRendering] = [collectorDefaults, collectorPostgres, collectorIngress, collectorPseudonymized, collectorServiceMonitor]

    static let all: [ChartRendering] = [
        telemetryDefaults, telemetryKubernetesAPIFallback, telemetryTrackingOff, telemetryDisabled, telemetryCustomised,
    ] + collectorRenderings

    /// Runs `helm SUBCOMMAND... [RELEASE] CHART --namespace NS --set ... --values FILE`.
    func run(tools: HelmTools, _ subcommand: [String], withRelease: Bool = true) throws -> CommandResult {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var arguments = subcommand + (withRelease ? [release] : []) + [RepositoryPath.url(chart).path, "--namespace", namespace]
        for value in overrides {
            arguments += ["--set", value]
        }
        if let values {
            let file = scratch.url.appendingPathComponent("values.yaml")
            try values.write(to: file, atomically: true, encoding: .utf8)
            arguments += ["--values", file.path]
        }
        return try Command.run(tools.helm, arguments)
    }

    /// The YAML `helm template` prints, which fails the test when helm does.
    func renderYAML(tools: HelmTools) throws -> String {
        let result = try run(tools: tools, ["template"])
        try #require(result.status == 0, "helm template \(self) failed: \(result.standardError)")
        return result.standardOutput
    }

    func render(tools: HelmTools) throws -> [ManifestValue] {
        try ManifestValue.documents(fromYAML: renderYAML(tools: tools))
    }
}

/// A kustomization or a chart rendering: everything that puts a pod on a node.
enum PodRendering: Sendable, CustomStringConvertible {
    case kustomization(Kustomization)
    case chart(ChartRendering)

    static let all: [PodRendering] = Kustomization.all.map { .kustomization($0) } + ChartRendering.all.map { .chart($0) }

    var description: String {
        switch self {
        case .kustomization(let kustomization): "kustomize \(kustomization.path)"
        case .chart(let rendering): "helm \(rendering)"
        }
    }

    var rendersNothing: Bool {
        if case .chart(let rendering) = self { return rendering.rendersNothing }
        return false
    }

    func render(tools: HelmTools) throws -> [ManifestValue] {
        switch self {
        case .kustomization(let kustomization): try kustomization.render(tools: tools.manifest)
        case .chart(let rendering): try rendering.render(tools: tools)
        }
    }
}

/// A value set that `helm template` must refuse, and what its message must say.
struct BadValues: Sendable, CustomStringConvertible {
    var chart: String
    var overrides: [String]
    var message: String

    var description: String { "\(URL(fileURLWithPath: chart).lastPathComponent) --set \(overrides.joined(separator: " --set "))" }

    static let telemetry = "charts/common/aws-telemetry"
    static let collector = "charts/usage-collector"
    static let all: [BadValues] = [
        // Wrong types, refused by values.schema.json.
        BadValues(chart: telemetry, overrides: ["config.jitterSeconds=soon"], message: "at '/config/jitterSeconds': got string, want integer"),
        BadValues(chart: telemetry, overrides: ["enabled=no"], message: "at '/enabled': got string, want boolean"),
        BadValues(chart: collector, overrides: ["replicas=two"], message: "at '/replicas': got string, want integer"),
        BadValues(chart: collector, overrides: ["metrics.serviceMonitor.enabled=yes"], message: "at '/metrics/serviceMonitor/enabled': got string, want boolean"),
        BadValues(chart: collector, overrides: ["metrics.port=metrics"], message: "at '/metrics/port': got string, want integer"),
        // Unknown keys, refused by values.schema.json (a misspelt key is not ignored).
        BadValues(chart: telemetry, overrides: ["colectorURL=https://usage.example.com"], message: "additional properties 'colectorURL' not allowed"),
        BadValues(chart: collector, overrides: ["storage.engine=postgres"], message: "additional properties 'engine' not allowed"),
        BadValues(chart: collector, overrides: ["metrics.serviceMonitor.intervall=1m"], message: "additional properties 'intervall' not allowed"),
        // Values outside what they may be.
        BadValues(chart: telemetry, overrides: ["config.protocol=grpc"], message: "at '/config/protocol': value must be one of 's3', 'json'"),
        BadValues(chart: collector, overrides: ["storage.type=mysql"], message: "at '/storage/type': value must be one of 'sqlite', 'postgres'"),
        BadValues(chart: collector, overrides: ["metrics.port=70000"], message: "at '/metrics/port': maximum: got 70,000, want 65,535"),
        BadValues(chart: collector, overrides: ["metrics.serviceMonitor.interval=soon"], message: "at '/metrics/serviceMonitor/interval': 'soon' does not match pattern"),
        // Value sets that cannot work, refused by the templates.
        BadValues(chart: collector, overrides: ["replicas=2"], message: "replicas=2 with storage.type=sqlite cannot work"),
        BadValues(chart: telemetry, overrides: ["config.protocol=json"], message: "config.collectorURL is required with config.protocol=json"),
        BadValues(chart: telemetry, overrides: ["config.nodeChoice=oldest"], message: "config.nodeChoice=oldest needs kubernetesAPIFallback.enabled=true"),
        BadValues(chart: collector, overrides: ["minCount=1"], message: "minCount=1 cannot work"),
        BadValues(chart: collector, overrides: ["metrics.port=8080"], message: "metrics.port=8080 cannot work: 8080 is the collector's public port"),
    ]
}

/// A `helm` command line of the README (continuation lines joined).
struct HelmCommand {
    var line: String
    var words: [String]

    var subcommand: String? { words.dropFirst().first }

    /// The words after the subcommand that are not flags or flag values.
    var positional: [String] {
        var result: [String] = []
        var skipNext = false
        for word in words.dropFirst(2) {
            if skipNext { skipNext = false; continue }
            if word.hasPrefix("-") {
                skipNext = !word.contains("=") && HelmCommand.flagsWithValues.contains(word)
                continue
            }
            result.append(word)
        }
        return result
    }

    var release: String? { positional.first }
    var chart: String? { ["install", "upgrade"].contains(subcommand ?? "") ? positional.dropFirst().first : nil }

    static let flagsWithValues: Set = ["--namespace", "-n", "--set", "--set-string", "--values", "-f", "--timeout", "--version"]
    /// Flags of install and upgrade that helm template has no use for.
    static let installOnlyFlags: Set = ["--install", "-i", "--reuse-values", "--reset-then-reuse-values", "--create-namespace", "--wait", "--atomic", "--rollback-on-failure"]

    /// The same chart and values as `helm template`, the chart's path made absolute.
    func templateArguments() -> [String] {
        var arguments = ["template"]
        for word in words.dropFirst(2) where !HelmCommand.installOnlyFlags.contains(word) {
            arguments.append(word == chart ? RepositoryPath.url(word).path : word)
        }
        return arguments
    }

    static func all(in markdown: String) -> [HelmCommand] {
        var commands: [HelmCommand] = []
        var pending = ""
        for rawLine in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if let comment = line.range(of: " #") { line = String(line[..<comment.lowerBound]).trimmingCharacters(in: .whitespaces) }
            if pending.isEmpty, !line.hasPrefix("helm ") { continue }
            if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
                continue
            }
            let full = (pending + line).trimmingCharacters(in: .whitespaces)
            pending = ""
            let words = full.split(separator: " ").map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "'\"")) }
            commands.append(HelmCommand(line: full, words: words))
        }
        return commands
    }
}

// MARK: - Expectations

/// Asserts the pod may only run on amd64 nodes: every term of its required node affinity holds
/// `kubernetes.io/arch In [amd64]`, and no nodeSelector asks for another architecture.
func expectRequiresAMD64(_ pod: ManifestValue, of owner: ManifestValue, in rendering: String) {
    let terms = pod.at("spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")?.items ?? []
    #expect(!terms.isEmpty, "\(rendering): \(owner.identity) may run on any node, arm64 ones too")
    let amd64: ManifestValue = ["key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]]
    for term in terms {
        #expect(term.at("matchExpressions")?.items.contains(amd64) == true, "\(rendering): \(owner.identity) has a node affinity term without kubernetes.io/arch In [amd64]: \(term)")
    }
    if let arch = pod.at("spec", "nodeSelector", "kubernetes.io/arch") {
        #expect(arch == "amd64", "\(rendering): \(owner.identity)")
    }
}

extension ManifestValue {
    /// The labels Helm's charts add by convention, which the kustomizations do not have.
    static let helmLabels: Set = ["helm.sh/chart", "app.kubernetes.io/managed-by", "app.kubernetes.io/instance", "app.kubernetes.io/version"]

    /// The value with `keys` removed from every `metadata.labels` in it (objects and templates).
    func removingLabels(_ keys: Set<String>) -> ManifestValue {
        switch self {
        case .mapping(var entries):
            for (key, value) in entries {
                entries[key] = value.removingLabels(keys)
            }
            if case .mapping(var metadata)? = entries["metadata"], case .mapping(let labels)? = metadata["labels"] {
                metadata["labels"] = .mapping(labels.filter { !keys.contains($0.key) })
                entries["metadata"] = .mapping(metadata)
            }
            return .mapping(entries)
        case .sequence(let items):
            return .sequence(items.map { $0.removingLabels(keys) })
        case .scalar:
            return self
        }
    }

    /// Each field where this value (a chart's) and `other` (a kustomization's) differ, by path.
    func differences(from other: ManifestValue, at path: String = "") -> [String] {
        switch (self, other) {
        case (.mapping(let mine), .mapping(let theirs)):
            return Set(mine.keys).union(theirs.keys).sorted().flatMap { key -> [String] in
                switch (mine[key], theirs[key]) {
                case (let value?, nil): ["\(path)/\(key): only in the chart: \(value)"]
                case (nil, let value?): ["\(path)/\(key): only in the kustomization: \(value)"]
                case (let value?, let otherValue?): value.differences(from: otherValue, at: "\(path)/\(key)")
                case (nil, nil): []
                }
            }
        case (.sequence(let mine), .sequence(let theirs)) where mine.count == theirs.count:
            return zip(mine, theirs).enumerated().flatMap { index, pair in pair.0.differences(from: pair.1, at: "\(path)[\(index)]") }
        default:
            return self == other ? [] : ["\(path): chart \(self), kustomization \(other)"]
        }
    }

    /// The value at a path given as an array.
    func at(_ path: [String]) -> ManifestValue? {
        path.reduce(Optional(self)) { value, key in
            guard case .mapping(let entries)? = value else { return nil }
            return entries[key]
        }
    }
}

// MARK: - Tools

/// helm, with the manifest tests' kubectl and kubernetes-validate.
struct HelmTools: Sendable {
    var helm: URL
    var manifest: ManifestTools

    /// helm on PATH, else the one scripts/install-helm.sh put in .tools/bin.
    static func findHelm() -> URL? {
        if let onPath = ManifestTools.executable(named: "helm") { return onPath }
        let installed = RepositoryPath.url(".tools/bin/helm")
        return FileManager.default.isExecutableFile(atPath: installed.path) ? installed : nil
    }

    static var testsRun: Bool { (findHelm() != nil && ManifestTools.onPath != nil) || ManifestTools.runningOnCI }

    static func required() throws -> HelmTools {
        let helm = try #require(findHelm(), "helm is not on PATH nor in .tools/bin (scripts/install-helm.sh installs it)")
        let version = try Command.run(helm, ["version", "--template", "{{.Version}}"])
        try #require(version.standardOutput.hasPrefix("v4."), "these tests are written for Helm v4; \(helm.path) is \(version.standardOutput)")
        return HelmTools(helm: helm, manifest: try ManifestTools.required())
    }
}
