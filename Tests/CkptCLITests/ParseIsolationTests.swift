#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import CkptCLI

/// The parent's half of `ParseIsolation` (what `inspect`, `verify` and `diff` run in the real
/// binary), given a child that dies of a chosen signal where the real child would be the HDF5
/// library dying on a crafted file: one line naming the file, exit status 2.
@Suite struct ParseIsolationTests {
    let file = "/runs/a/epoch-1.h5"  // named in the message only: nothing reads it

    /// Runs `script` under /bin/sh as the isolated child; the status and the lines reported.
    func supervise(_ script: String) -> (status: Int32?, lines: [String]) {
        var lines: [String] = []
        let status = ParseIsolation.supervise(command: "verify", files: [file], executable: "/bin/sh",
                                              arguments: ["sh", "-c", script]) { lines.append($0) }
        return (status, lines)
    }

    @Test(arguments: [(SIGSEGV, "the HDF5 reader crashed (signal 11, SIGSEGV)"),
                      (SIGABRT, "the HDF5 reader crashed (signal 6, SIGABRT)"),
                      (SIGXCPU, "gave up after 20 s of CPU time (the reader does not finish)")])
    func childKilledBySignalIsExitTwoWithAMessage(signal: Int32, words: String) {
        // No core file: the real child sets RLIMIT_CORE to 0 before parsing.
        let r = supervise("ulimit -c 0; kill -\(signal) $$")
        #expect(r.status == 2)
        #expect(r.lines == ["ckpt verify: \(file): unreadable or corrupt file: \(words)\n"])
    }

    /// The child's own exit status passes through, silently; the child is told it is the child.
    @Test func exitStatusPassesThroughAndTheChildKnowsItIsTheChild() {
        let r = supervise(#"[ "$CKPT_ISOLATED_CHILD" = 1 ] && exit 3; exit 9"#)
        #expect(r.status == 3)
        #expect(r.lines.isEmpty)
    }

    @Test func aChildThatCannotStartRunsTheCommandInProcess() {
        var lines: [String] = []
        let status = ParseIsolation.supervise(command: "verify", files: [file], executable: "/nonexistent/ckpt",
                                              arguments: ["ckpt"]) { lines.append($0) }
        #expect(status == nil)
        #expect(lines.isEmpty)
    }
}
