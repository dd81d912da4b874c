import ArgumentParser

/// `usage-collector`: serve (the default), report, import, generate, forget, purge, verify, back up.
public struct UsageCollectorCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "usage-collector",
        abstract: "Receives, validates and stores Kubeflow on AWS usage pings, and reports on them.",
        subcommands: [Serve.self, Stats.self, ImportCSV.self, ImportS3Logs.self, Generate.self, Forget.self, Purge.self, Verify.self, Backup.self],
        defaultSubcommand: Serve.self
    )

    public init() {}
}
