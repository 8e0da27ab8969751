import CkptTestSupport
import Testing
import CkptCore
import CkptFormat
@testable import CkptCLI

@Suite struct VerifyCommandTests {
    var files = MemoryFiles()
    let good: String
    let broken: String
    let corrupt: String

    init() {
        good = files.add("good.h5", SampleCheckpoints.checkpoint())
        var c = SampleCheckpoints.checkpoint()
        c.scheduler!["base_lrs"] = .list([0.1])
        broken = files.add("broken.h5", c)
        corrupt = files.add("corrupt.h5", loadError: "/model/fc1.weight: checksum mismatch (stored 0x1, computed 0x2)")
    }

    func verify(_ args: [String]) throws -> (status: CommandStatus, out: String, err: String) {
        let command = try VerifyCommand.parse(args)
        return runCommand { try command.execute(console: $0, reader: files.reader) }
    }

    @Test func soundFileExitsZero() throws {
        let r = try verify([good])
        #expect(r.status == .success)
        #expect(r.out == "\(good): ok (format v1; 9 tensors checksummed; SGD with 2 param groups; StepLR)\n")
    }

    @Test func problemsExitOneNamingFilePathAndWhat() throws {
        let r = try verify([good, broken, corrupt])
        #expect(r.status == .failure)
        #expect(r.out.contains("\(broken): 1 problem\n  \(broken): scheduler: base_lrs has 1 entries but the optimizer has 2 param groups\n"))
        #expect(r.out.contains("  \(corrupt): /: /model/fc1.weight: checksum mismatch (stored 0x1, computed 0x2)\n"))
    }

    @Test func missingFileExitsTwo() throws {
        let missing = files.path("gone.h5")
        let r = try verify([good, missing])
        #expect(r.status == .badInput)
        #expect(r.err == "ckpt verify: \(missing): no such file; check the path\n")
        let j = try verify([good, missing, "--json"])
        #expect(j.status == .badInput && j.err == r.err)
        let files = try #require(try JSON.parse(j.out).dictValue?["files"]?.arrayValue)
        #expect(files[1].dictValue?["error"] == .string("\(missing): no such file; check the path"))
    }

    @Test func noFilesIsAUsageError() {
        #expect(throws: (any Error).self) { try VerifyCommand.parse([]) }
    }

    @Test func jsonParsesBack() throws {
        let r = try verify([good, broken, "--json"])
        let root = try #require(try JSON.parse(r.out).dictValue)
        #expect(root["ok"] == false)
        let list = try #require(root["files"]?.arrayValue).compactMap(\.dictValue)
        #expect(list.map { $0["ok"] } == [true, false])
        #expect(list[0]["tensors"] == 9)
        #expect(list[1]["problems"] == StateValue.list([.dict(["path": "scheduler", "message": "base_lrs has 1 entries but the optimizer has 2 param groups"])]))
    }
}
