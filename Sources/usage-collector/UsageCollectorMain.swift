import ArgumentParser
import UsageCollectorCLI

/// The commands, their options and what they do live in the UsageCollectorCLI library (tested
/// there); this runs the one the arguments name, as `AsyncParsableCommand.main()` does.
@main
enum UsageCollectorMain {
    static func main() async {
        do {
            var command = try UsageCollectorCommand.parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            UsageCollectorCommand.exit(withError: error)
        }
    }
}
