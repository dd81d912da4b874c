import Foundation
import Testing
import TestSupport

/// The tests' way of starting commands (``ChildProcess``), where Foundation's `Process.run()`
/// crashed the whole test process: with 1,400 descriptors open.
struct ChildProcessTests {
    @Test func aChildStartsWithManyDescriptorsOpenAndInheritsNoneOfThem() throws {
        let opened = (0..<1_500).map { _ in open("/dev/null", O_RDONLY) }
        defer { opened.forEach { close($0) } }
        #expect(opened.allSatisfy { $0 >= 0 })
        for _ in 0..<20 {
            let result = try ProcessRunner.run("/bin/sh", ["-c", "ls /proc/self/fd"], timeout: 30)
            #expect(result.exitCode == 0, "\(result.standardError)")
            // stdin, stdout, stderr, and the descriptor `ls` reads the folder with.
            let inherited = result.standardOutput.split(separator: "\n").compactMap { Int($0) }.filter { $0 > 3 }
            #expect(inherited.isEmpty, "the child inherited descriptors \(inherited.prefix(10))")
        }
    }

    @Test func exitStatusesSignalsAndEnvironmentAreTheChildsOwn() throws {
        let exited = try ProcessRunner.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"], environment: [:])
        #expect(exited.exitCode == 3)
        #expect(exited.standardOutput == "out\n")
        #expect(exited.standardError == "err\n")
        let environment = try ProcessRunner.run("/usr/bin/env", [], environment: ["ONLY": "this"])
        #expect(environment.standardOutput == "ONLY=this\n")
        let killed = try BackgroundProcess("/bin/sleep", ["30"])
        #expect(killed.isRunning)
        killed.kill(SIGKILL)
        #expect(!killed.isRunning)
        #expect(killed.exitCode == SIGKILL)
        let timedOut = try ProcessRunner.run("/bin/sleep", ["30"], timeout: 0.5)
        #expect(timedOut.exitCode == SIGTERM)
        #expect(timedOut.duration < 10)
    }
}
