import CkptTestSupport
import Testing
import Foundation

/// A few checks on the built `ckpt` binary, that `main.swift` goes through ckpt's exit
/// statuses (ArgumentParser alone would exit 64 on usage errors). Skipped when the binary has
/// not been built (`make test` builds it first).
@Suite(.enabled(if: BuiltProducts.ckpt != nil, "ckpt is not built (swift build -c release -Xswiftc -enable-testing)"))
struct BinaryExitStatusTests {
    func ckpt(_ args: [String]) throws -> Subprocess.Result {
        try Subprocess.run(try #require(BuiltProducts.ckpt), args)
    }

    @Test func usageErrorExitsTwo() throws {
        let r = try ckpt(["diff", "only-one.h5"])
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("Error: Missing expected argument '<b>'"))
    }

    @Test func missingFileExitsTwoWithOneLine() throws {
        let r = try ckpt(["inspect", "/nonexistent/run.h5"])
        #expect(r.status == 2)
        #expect(r.stderr == "ckpt inspect: /nonexistent/run.h5: no such file; check the path\n")
        #expect(r.stdout.isEmpty)
    }
}
