import Testing
import Foundation
@testable import CkptCLI

/// The root command's exit statuses for usage errors, help and files that do not exist.
@Suite struct MainExitStatusTests {
    @Test(arguments: [
        ["diff", "only-one.h5"], ["inspect"], ["verify"], ["inspect", "x.h5", "--bogus"],
        ["diff", "a.h5", "b.h5", "--atol", "abc"], ["diff", "a.h5", "b.h5", "--atol", "-1"], ["nosuchcommand"],
    ])
    func usageErrorsExitTwo(arguments: [String]) {
        let r = CkptCommand.run(arguments: arguments)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("Error: "))
        #expect(r.stdout.isEmpty)
    }

    @Test(arguments: ["inspect", "diff", "verify", "plot"])
    func helpExitsZeroWithExitStatusDocs(command: String) {
        let r = CkptCommand.run(arguments: [command, "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("OVERVIEW: "))
        #expect(r.stdout.contains("Exit status: 0"))
        #expect(r.stdout.contains("Examples:"))
    }

    @Test func rootHelpListsTheCommands() {
        let r = CkptCommand.run(arguments: ["--help"])
        #expect(r.status == 0)
        for c in ["inspect", "diff", "verify", "plot"] { #expect(r.stdout.contains("  \(c) ")) }
    }

    @Test func missingFileThroughTheRealReaderExitsTwo() {
        let missing = NSTemporaryDirectory() + "ckpt-no-such-\(UUID().uuidString).h5"
        #expect(CkptCommand.run(arguments: ["inspect", missing]).status == 2)
        #expect(CkptCommand.run(arguments: ["diff", missing, missing]).status == 2)
        #expect(CkptCommand.run(arguments: ["verify", missing]).status == 2)
    }

    @Test func cliErrorsAreOneLine() {
        let r = CkptCommand.report(CLIError.file("a.h5", path: "/model/x", "no such dataset"))
        #expect(r.status == 2 && r.stderr == "ckpt: a.h5: /model/x: no such dataset\n")
        struct Weird: Error, CustomStringConvertible { var description: String { "line one\nline two" } }
        #expect(CkptCommand.report(Weird()).status == 2)
    }
}
