import Foundation
import Testing
import TestSupport
import Yams

/// The images scripts/build-images.sh writes, unpacked with umoci and run as the manifests' pod
/// specs say, by scripts/run-in-rootfs.py (namespaces, a read-only root, user 65532, no
/// capabilities): no container runtime runs on the machines these tests were written on.
/// Every tool runs through `ProcessRunner.runAsync`: a blocking wait on the two-thread cooperative
/// pool of a 2-core machine stalls the in-process fakes and collectors of every test running
/// beside (seen: dozens of unrelated deadlines exceeded).
enum Images {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Where scripts/build-images.sh writes (`IMAGES_OUT`, by default `.build-images/`).
    static var output: String { ProcessInfo.processInfo.environment["IMAGES_OUT"] ?? packageRoot + "/.build-images" }

    /// The OCI layout holding both images (refs `usage-agent` and `usage-collector`).
    static var layout: String { output + "/oci" }

    static var built: Bool { FileManager.default.fileExists(atPath: layout + "/index.json") }

    /// A JSON object of the layout: `index.json`, or a blob by digest (`sha256:…`).
    static func layoutJSON(_ digest: String? = nil) throws -> [String: Any] {
        let path = digest.map { layout + "/blobs/" + $0.replacingOccurrences(of: ":", with: "/") } ?? layout + "/index.json"
        guard let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] else {
            throw ImageError("\(path) is not a JSON object")
        }
        return object
    }

    /// The descriptor the layout's index.json names `ref`.
    static func descriptor(ref: String) throws -> [String: Any] {
        let manifests = try layoutJSON()["manifests"] as? [[String: Any]] ?? []
        guard let descriptor = manifests.first(where: { ($0["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"] == ref }) else {
            throw ImageError("no ref \(ref) in \(layout)/index.json: run scripts/build-images.sh")
        }
        return descriptor
    }

    /// In CI the images must be there (.ci/run builds them); elsewhere the suite needs them built,
    /// umoci, and root.
    static var shouldRun: Bool { ExternalTools.inCI || (built && getuid() == 0 && ExternalTools.path("umoci") != nil) }
    static let skipMessage: Comment = "needs root, umoci and the images: sudo scripts/build-images.sh (.ci/run runs it)"

    /// Unpacks one product's linux/amd64 image (the layout's ref `PRODUCT-linux-amd64`, the
    /// amd64 entry of the index `PRODUCT`) into a new folder (`rootfs/` and the runtime
    /// `config.json` umoci derives from the image's configuration).
    static func unpack(_ product: String) async throws -> UnpackedImage {
        guard built else { throw ImageError("no images in \(layout): run scripts/build-images.sh as root first (.ci/run does)") }
        guard getuid() == 0 else { throw ImageError("the image tests run as root: unpacking keeps the files' owners, and the pod's namespaces need it") }
        let folder = try TemporaryDirectory()
        let bundle = folder.path("bundle")
        let unpacked = try await ProcessRunner.runAsync("/usr/bin/umoci", ["unpack", "--image", "\(layout):\(product)-linux-amd64", bundle], timeout: 120)
        guard unpacked.exitCode == 0 else { throw ImageError("umoci unpack \(product)-linux-amd64: \(unpacked.standardError)") }
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: bundle + "/config.json"))) as? [String: Any] ?? [:]
        return UnpackedImage(folder: folder, rootfs: bundle + "/rootfs", runtimeConfig: config)
    }
}

struct ImageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// An image's root filesystem and what its configuration says to run.
struct UnpackedImage {
    let folder: TemporaryDirectory
    let rootfs: String
    let runtimeConfig: [String: Any]

    var process: [String: Any] { runtimeConfig["process"] as? [String: Any] ?? [:] }
    /// ENTRYPOINT followed by CMD, as the image gives them.
    var arguments: [String] { process["args"] as? [String] ?? [] }
    var user: (uid: Int, gid: Int) {
        let user = process["user"] as? [String: Any] ?? [:]
        return (user["uid"] as? Int ?? 0, user["gid"] as? Int ?? 0)
    }
    var workingDirectory: String { process["cwd"] as? String ?? "/" }

    /// Every regular file of the image, by path inside it.
    var files: [String] {
        let enumerator = FileManager.default.enumerator(atPath: rootfs)
        var paths: [String] = []
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: rootfs + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue { paths.append("/" + path) }
        }
        return paths.sorted()
    }

    func remove() { folder.remove() }
}

/// One container of a rendered manifest, with what its pod spec says about how it runs.
struct PodContainer {
    let container: [String: Any]
    let pod: [String: Any]
    /// The ConfigMaps of the same rendering, by name.
    let configMaps: [String: [String: String]]

    /// Renders `kustomization` (a folder of this repository) and finds the container of the
    /// workload `kind`/`name` (a CronJob's job template, a Job's or a Deployment's template).
    static func rendering(_ kustomization: String, kind: String, name: String) async throws -> PodContainer {
        guard let kubectl = ExternalTools.path("kubectl") else { throw ImageError("kubectl is missing (apt-get install kubectl; .ci/run does)") }
        let rendered = try await ProcessRunner.runAsync(kubectl, ["kustomize", Images.packageRoot + "/" + kustomization], timeout: 60)
        guard rendered.exitCode == 0 else { throw ImageError("kubectl kustomize \(kustomization): \(rendered.standardError)") }
        let documents = try Yams.load_all(yaml: rendered.standardOutput).compactMap { $0 as? [String: Any] }
        var configMaps: [String: [String: String]] = [:]
        for document in documents where document["kind"] as? String == "ConfigMap" {
            let metadata = document["metadata"] as? [String: Any] ?? [:]
            configMaps[metadata["name"] as? String ?? ""] = (document["data"] as? [String: Any] ?? [:]).mapValues { "\($0)" }
        }
        guard let workload = documents.first(where: { $0["kind"] as? String == kind && ($0["metadata"] as? [String: Any])?["name"] as? String == name }) else {
            throw ImageError("\(kustomization) renders no \(kind) \(name)")
        }
        var spec = workload["spec"] as? [String: Any] ?? [:]
        if kind == "CronJob" { spec = (spec["jobTemplate"] as? [String: Any])?["spec"] as? [String: Any] ?? [:] }
        let pod = (spec["template"] as? [String: Any])?["spec"] as? [String: Any] ?? [:]
        guard let container = (pod["containers"] as? [[String: Any]])?.first else { throw ImageError("\(kind) \(name) has no container") }
        return PodContainer(container: container, pod: pod, configMaps: configMaps)
    }

    var securityContext: [String: Any] { container["securityContext"] as? [String: Any] ?? [:] }
    var podSecurityContext: [String: Any] { pod["securityContext"] as? [String: Any] ?? [:] }
    var runAsUser: Int? { securityContext["runAsUser"] as? Int ?? podSecurityContext["runAsUser"] as? Int }
    var runAsGroup: Int? { securityContext["runAsGroup"] as? Int ?? podSecurityContext["runAsGroup"] as? Int }
    var readOnlyRootFilesystem: Bool { securityContext["readOnlyRootFilesystem"] as? Bool ?? false }
    var droppedCapabilities: [String] { (securityContext["capabilities"] as? [String: Any])?["drop"] as? [String] ?? [] }
    var allowPrivilegeEscalation: Bool { securityContext["allowPrivilegeEscalation"] as? Bool ?? true }

    /// The container's ports by name (`http`, `metrics`).
    var containerPorts: [String: Int] {
        (container["ports"] as? [[String: Any]] ?? []).reduce(into: [:]) { ports, port in
            if let name = port["name"] as? String, let number = port["containerPort"] as? Int { ports[name] = number }
        }
    }

    /// Where the kubelet sends a probe (`readinessProbe`, `livenessProbe`): its httpGet path and
    /// the container port, given as a number or as the name of one of the container's ports.
    func httpProbe(_ probe: String) throws -> (path: String, port: Int) {
        guard let httpGet = (container[probe] as? [String: Any])?["httpGet"] as? [String: Any], let path = httpGet["path"] as? String else {
            throw ImageError("the container has no \(probe) with httpGet")
        }
        if let number = httpGet["port"] as? Int { return (path, number) }
        guard let name = httpGet["port"] as? String, let number = containerPorts[name] else {
            throw ImageError("\(probe) names the port \(httpGet["port"] ?? "none"), which the container does not declare")
        }
        return (path, number)
    }

    /// The mounts, each with the kind of its volume (`emptyDir`, `persistentVolumeClaim`, …).
    var volumeMounts: [(path: String, kind: String)] {
        let volumes = (pod["volumes"] as? [[String: Any]] ?? []).reduce(into: [String: String]()) { kinds, volume in
            kinds[volume["name"] as? String ?? ""] = volume.keys.first { $0 != "name" }
        }
        return (container["volumeMounts"] as? [[String: Any]] ?? []).map {
            ($0["mountPath"] as? String ?? "", volumes[$0["name"] as? String ?? ""] ?? "unknown")
        }
    }

    /// The program and its arguments as Kubernetes combines them with the image's: `command`
    /// replaces the entrypoint (and drops the image's CMD), `args` replaces CMD.
    func arguments(image: UnpackedImage, entrypointCount: Int) -> [String] {
        let command = container["command"] as? [String]
        let args = container["args"] as? [String]
        let entrypoint = command ?? Array(image.arguments.prefix(entrypointCount))
        return entrypoint + (args ?? (command == nil ? Array(image.arguments.dropFirst(entrypointCount)) : []))
    }

    /// The environment the kubelet gives the container: `envFrom` ConfigMaps, then `env` (values,
    /// and Secret keys found in `secrets` by `name/key`; optional ones left out when missing).
    func environment(secrets: [String: String] = [:]) throws -> [String: String] {
        var environment: [String: String] = [:]
        for source in container["envFrom"] as? [[String: Any]] ?? [] {
            guard let name = (source["configMapRef"] as? [String: Any])?["name"] as? String else { continue }
            guard let data = configMaps[name] else { throw ImageError("envFrom names the ConfigMap \(name), which the rendering lacks") }
            environment.merge(data) { $1 }
        }
        for variable in container["env"] as? [[String: Any]] ?? [] {
            let name = variable["name"] as? String ?? ""
            if let value = variable["value"] { environment[name] = "\(value)"; continue }
            guard let reference = (variable["valueFrom"] as? [String: Any])?["secretKeyRef"] as? [String: Any] else { continue }
            let key = "\(reference["name"] as? String ?? "")/\(reference["key"] as? String ?? "")"
            if let value = secrets[key] {
                environment[name] = value
            } else if reference["optional"] as? Bool != true {
                throw ImageError("the container needs the Secret key \(key)")
            }
        }
        return environment
    }
}

/// Runs an unpacked image's program as the pod spec says, through scripts/run-in-rootfs.py.
struct PodRun {
    let image: UnpackedImage
    let container: PodContainer
    /// Host folders for the pod's persistent volumes, by mount path (bound writable).
    var persistentVolumes: [String: String] = [:]
    /// Host files for ConfigMap or Secret volumes, by path inside (bound read-only).
    var files: [String: String] = [:]

    /// The launcher's command line for `arguments` with `environment` (the kubelet's own
    /// variables are added here).
    func commandLine(_ arguments: [String], environment: [String: String], reportPeakMemory: Bool = false) throws -> [String] {
        let user = container.runAsUser ?? image.user.uid
        let group = container.runAsGroup ?? image.user.gid
        guard container.readOnlyRootFilesystem else { throw ImageError("the manifest does not ask for a read-only root filesystem; the launcher always makes it read-only") }
        var line = [Images.packageRoot + "/scripts/run-in-rootfs.py", "--rootfs", image.rootfs, "--user", "\(user):\(group)",
                    "--cwd", container.container["workingDir"] as? String ?? image.workingDirectory]
        if reportPeakMemory { line.append("--report-peak-memory") }
        for (path, kind) in container.volumeMounts {
            switch kind {
            case "emptyDir": line += ["--tmpfs", "\(path):uid=\(user),gid=\(container.podSecurityContext["fsGroup"] as? Int ?? group)"]
            case "persistentVolumeClaim":
                guard let host = persistentVolumes[path] else { throw ImageError("no host folder given for the volume at \(path)") }
                line += ["--bind", "\(host):\(path):rw"]
            default: throw ImageError("a volume of kind \(kind) at \(path), which these tests do not provide")
            }
        }
        for (path, host) in files.sorted(by: { $0.key < $1.key }) { line += ["--bind", "\(host):\(path)"] }
        // What the kubelet adds: the pod's host name and the API server's address.
        let kubelet = ["HOSTNAME": "aws-kubeflow-telemetry-29012345-abcde", "KUBERNETES_SERVICE_HOST": "10.100.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        for (name, value) in kubelet.merging(environment, uniquingKeysWith: { $1 }).sorted(by: { $0.key < $1.key }) {
            line += ["--env", "\(name)=\(value)"]
        }
        return line + ["--"] + arguments
    }

    func run(_ arguments: [String], environment: [String: String], reportPeakMemory: Bool = false, timeout: Double = 120) async throws -> ProcessResult {
        let line = try commandLine(arguments, environment: environment, reportPeakMemory: reportPeakMemory)
        return try await ProcessRunner.runAsync("/usr/bin/python3", line, environment: ["PATH": "/usr/bin:/bin"], timeout: timeout)
    }

    func start(_ arguments: [String], environment: [String: String]) throws -> BackgroundProcess {
        try BackgroundProcess("/usr/bin/python3", try commandLine(arguments, environment: environment), environment: ["PATH": "/usr/bin:/bin"])
    }
}
