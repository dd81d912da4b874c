import Foundation
import Testing
import UsageAgent
@testable import UsageAgentCLI
@testable import UsageCollectorCLI

/// The manifests' container arguments and settings are accepted by the real argument parsers and
/// configuration of the binaries they run.
@Suite(
    "Container arguments",
    .enabled(if: ManifestTools.testsRun, "needs kubectl and kubernetes-validate on PATH")
)
struct ContainerArgumentsTests {
    @Test("every usage-agent container's args and ConfigMap settings make a valid agent configuration", arguments: [Kustomization.telemetry, .kubernetesAPIFallback, .vanilla, .trackingOff])
    func agentContainers(_ kustomization: Kustomization) throws {
        let tools = try ManifestTools.required()
        let documents = try kustomization.render(tools: tools)
        let agents = containerInvocations(in: documents).filter { $0.executable == "usage-agent" }
        #expect(agents.count == 2, "the CronJob and the install Job")
        let configMap = try resource(kind: "ConfigMap", name: "aws-kubeflow-telemetry-config", in: documents)
        guard case .mapping(let data)? = configMap.at("data") else {
            Issue.record("the ConfigMap has no data")
            return
        }
        let environment = data.compactMapValues(\.string)
        for agent in agents {
            let command = try UsageAgentCommand.parseAsRoot(agent.arguments)
            let parsed = try #require(command as? UsageAgentCommand, "\(agent.resource) does not run the agent command")
            #expect(throws: Never.self, "\(agent.resource): \(agent.arguments) with \(environment)") {
                try AgentConfiguration.resolve(flags: parsed.flags, environment: environment)
            }
            if kustomization.path == Kustomization.trackingOff.path {
                #expect(OptOut.reason(environment: environment) == "USAGE_TRACKING_ENABLED=false", "the overlay switches tracking off")
            } else {
                #expect(OptOut.reason(environment: environment) == nil, "tracking is on by default")
            }
        }
    }

    @Test("the collector's args parse as usage-collector serve")
    func collectorContainer() throws {
        let tools = try ManifestTools.required()
        let invocations = try Kustomization.collector.renderContainerInvocations(tools: tools).filter { $0.executable == "usage-collector" }
        #expect(invocations.count == 1)
        for invocation in invocations {
            let command = try UsageCollectorCommand.parseAsRoot(invocation.arguments)
            let serve = try #require(command as? Serve, "\(invocation.arguments) is not the serve command")
            #expect(serve.host == "0.0.0.0")
            #expect(serve.port == 8080)
            #expect(serve.metricsHost == "0.0.0.0", "the operations listener on the pod's address, for the kubelet and Prometheus")
            #expect(serve.metricsPort == 9090)
        }
    }
}
