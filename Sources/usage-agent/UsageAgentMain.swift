import ArgumentParser
import UsageAgentCLI

/// The command, its options and what it does live in the UsageAgentCLI library (tested there);
/// this runs it, as `AsyncParsableCommand.main()` does.
@main
enum UsageAgentMain {
    static func main() async {
        do {
            var command = try UsageAgentCommand.parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            UsageAgentCommand.exit(withError: error)
        }
    }
}
