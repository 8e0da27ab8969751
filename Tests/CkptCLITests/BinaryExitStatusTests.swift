import Testing
import Foundation

/// A few checks on the built `ckpt` binary, that `main.swift` goes through ckpt's exit
/// statuses (ArgumentParser alone would exit 64 on usage errors). Skipped (reported as such)
/// when the release binary has not been built (`make test` builds it first).
@Suite struct BinaryExitStatusTests {
    static let binary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/release/ckpt").path

    static let isBuilt = FileManager.default.isExecutableFile(atPath: binary)

    func ckpt(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    @Test(.enabled(if: isBuilt, "the release binary is not built"))
    func usageErrorExitsTwo() throws {
        let r = try ckpt(["diff", "only-one.h5"])
        #expect(r.status == 2)
        #expect(r.err.hasPrefix("Error: Missing expected argument '<b>'"))
    }

    @Test(.enabled(if: isBuilt, "the release binary is not built"))
    func missingFileExitsTwoWithOneLine() throws {
        let r = try ckpt(["inspect", "/nonexistent/run.h5"])
        #expect(r.status == 2)
        #expect(r.err == "ckpt inspect: /nonexistent/run.h5: no such file; check the path\n")
        #expect(r.out.isEmpty)
    }
}
