import Ckpt
import CkptTestSupport
import Foundation
import HDF5
import Testing
@testable import CkptCLI

/// One convention for every command: `CommandRunner` prints one line `ckpt <command>: <message>`
/// on stderr (control characters escaped, never a raw Swift value) with the error's exit status;
/// `--json` is strict JSON; one pluralizer.
@Suite struct CommandConventionTests {
    /// Runs `body` as a command named `command` would; returns the status and stderr.
    func run(_ command: String = "x", _ body: () throws -> CommandStatus) -> (status: CommandStatus, err: String) {
        let console = Console.capture()
        let status = CommandRunner.run(command, console: console, body)
        return (status, console.errors)
    }

    static let knownErrors: [any Error] = [
        CLIError.file("a.h5", path: "/model/x", "no such dataset"),
        StateDictError(key: "data.batch_size", message: "expected a positive integer, found \"4\"", file: "cfg.json"),
        RunConfig.Error(key: "epochs", message: "expected a positive integer, found 0"),
        RunError.file("run.h5", "no checkpoint here that loads"),
        RunError.mismatch("optimizer: 2 param groups, the model has 3"),
        OptimizerError(.invalidValue, "Invalid learning rate: -1.0", key: "lr"),
        SchedulerError("StepLR: step_size: missing"),
        CheckpointError.missing(file: "run.h5", path: "/optimizer/state/3/exp_avg"),
        CheckpointError.checksumMismatch(file: "run.h5", path: "/model/w", expected: "1", actual: "2"),
        ModelError.shapeMismatch(key: "fc1.weight", checkpoint: [3, 2], model: [2, 3]),
        HDF5Error(file: "x.h5", path: "/", operation: "open file", reason: "file signature not found"),
        { () -> any Error in
            do { _ = try JSON.parse(#"{"a" 1}"#) } catch { return error }
            return CLIError("parsed")
        }(),
    ]

    @Test(arguments: knownErrors.indices)
    func knownErrorsAreOneLineWithStatusTwo(index: Int) {
        let error = Self.knownErrors[index]
        let r = run("train") { throw error }
        #expect(r.status == .badInput)
        #expect(r.err == "ckpt train: \(error)\n")
        #expect(!r.err.contains("(file:") && !r.err.contains("Error("), "no Swift value dump: \(r.err)")
    }

    @Test func statusesFollowTheError() {
        #expect(run { throw CLIError("2 tensors differ", status: .failure) }.status == .failure)
        #expect(run { .failure }.status == .failure)
        #expect(run { .success }.status == .success && run { .success }.err.isEmpty)
        #expect(run { .interrupted }.status.rawValue == 130)
    }

    @Test func swiftErrorsWithoutADescriptionAreNeverDumped() {
        enum Opaque: Error { case bad(code: Int) }
        let r = run("plot") { throw Opaque.bad(code: 7) }
        #expect(r.status == .badInput)
        #expect(r.err.hasPrefix("ckpt plot: internal error (Opaque)"), "\(r.err)")
        #expect(!r.err.contains("bad(") && !r.err.contains("code: 7"), "\(r.err)")
    }

    @Test func foundationErrorsGiveTheirTextNotTheirDomainDump() {
        let r = run("schedule") { try "x".write(toFile: "/nonexistent-dir/\(UUID())/x.svg", atomically: true, encoding: .utf8); return .success }
        #expect(r.status == .badInput)
        #expect(r.err.hasPrefix("ckpt schedule: "), "\(r.err)")
        #expect(!r.err.contains("Error Domain") && !r.err.contains("UserInfo"), "\(r.err)")
        #expect(r.err.split(separator: "\n").count == 1)
    }

    @Test func controlCharactersFromAConfigAreEscaped() {
        let key = "data.batch\u{1B}[2J\u{0}size"
        let r = run("train") { throw StateDictError(key: key, message: "unknown key\nsecond line", file: "cfg.json") }
        #expect(r.err == "ckpt train: cfg.json: data.batch\\u001b[2J\\u0000size: unknown key second line\n")
        #expect(!r.err.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "no raw control character")
        // Lines on stdout are escaped too: a name read from a file cannot drive the terminal.
        let console = Console.capture()
        console.print("model/\u{1B}]0;owned\u{7}w\tx")
        #expect(console.output == "model/\\u001b]0;owned\\u0007w\tx\n")
    }

    @Test func multiLineMessagesBecomeOneLine() {
        struct Chatty: Error, CustomStringConvertible { var description: String { "line one\nline two\r\nline three" } }
        #expect(run("diff") { throw Chatty() }.err == "ckpt diff: line one line two line three\n")
    }

    // MARK: --json

    /// Whether `text` holds NaN, Infinity or -Infinity outside a string (strict parsers reject them).
    static func hasBareNonFinite(_ text: String) -> Bool {
        var inString = false, escaped = false, word = ""
        for c in text {
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
                continue
            }
            if c == "\"" { inString = true; word = ""; continue }
            if c.isLetter { word.append(c); if word == "NaN" || word == "Infinity" { return true } } else { word = "" }
        }
        return false
    }

    @Test func jsonPrinterWritesNonFiniteNumbersAsStrings() throws {
        let console = Console.capture()
        console.printJSON(.dict(["a": .double(.nan), "b": .list([.double(.infinity), .double(-.infinity), 0.5]),
                                 "t": .tensor(TensorData(shape: [2], storage: .float32([.nan, 1])))]))
        #expect(!Self.hasBareNonFinite(console.output), "\(console.output)")
        let back = try #require(try JSON.parse(console.output).dictValue)
        #expect(back["a"] == "NaN" && back["b"] == .list(["Infinity", "-Infinity", 0.5]))
        #expect(back["t"]?.dictValue?["data"] == .list(["NaN", 1.0]))
        #expect(Self.hasBareNonFinite(JSON.string(.double(.nan))), "the checker sees Python's spelling")
    }

    /// `inspect --stats --json` on a tensor with NaN and Inf (std of one finite value is NaN).
    @Test func inspectJSONIsStrictWithNonFiniteValues() throws {
        var files = MemoryFiles()
        var c = SampleCheckpoints.checkpoint()
        c.model["w"] = .tensor(TensorData(shape: [3], storage: .float32([.nan, .infinity, 2])))
        let p = files.add("nonfinite.h5", c)
        for args in [[p, "--stats", "--json"], [p, "model/w", "--stats", "--json"]] {
            let command = try InspectCommand.parse(args)
            let r = runCommand { try command.execute(console: $0, reader: files.reader) }
            #expect(r.status == .success)
            #expect(!Self.hasBareNonFinite(r.out), "\(args)")
            #expect(try Self.strictPythonParse(r.out) != false, "\(args)")
        }
        let command = try InspectCommand.parse([p, "model/w", "--stats", "--json"])
        let out = runCommand { try command.execute(console: $0, reader: files.reader) }.out
        let w = try #require(try JSON.parse(out).dictValue)
        #expect(w["values"] == .list(["NaN", "Infinity", 2.0]))
        #expect(w["stats"]?.dictValue?["std"] == "NaN")
    }

    @Test func scheduleJSONIsStrictWithNonFiniteValues() throws {
        let result = ScheduleResult(title: "t", lr: [[0.1, .nan]], momentum: [[.infinity, -.infinity]])
        let console = Console.capture()
        console.printJSON(result.json())
        #expect(!Self.hasBareNonFinite(console.output), "\(console.output)")
        #expect(try Self.strictPythonParse(console.output) != false)
    }

    /// `json.loads` with NaN/Infinity refused; nil when python3 is not installed (the token
    /// check above still runs).
    static func strictPythonParse(_ text: String) throws -> Bool? {
        guard let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            return nil
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", "import json, sys\ndef bad(c): raise ValueError(c)\njson.loads(sys.stdin.read(), parse_constant=bad)"]
        let input = Pipe()
        p.standardInput = input
        p.standardError = FileHandle.nullDevice
        try p.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    // MARK: plurals

    @Test(arguments: [
        (1, "batch", "1 batch"), (2, "batch", "2 batches"), (0, "batch", "0 batches"),
        (1, "entry", "1 entry"), (3, "entry", "3 entries"), (2, "key", "2 keys"),
        (2, "param group", "2 param groups"), (2, "NaN mismatch", "2 NaN mismatches"),
        (5, "step", "5 steps"), (1, "epoch", "1 epoch"), (20, "epoch", "20 epochs"), (3, "index", "3 indices"), (1, "tensor", "1 tensor"), (4, "test image", "4 test images"),
    ])
    func pluralizer(n: Int, noun: String, expected: String) {
        #expect(Format.count(n, noun) == expected)
    }
}
