import Foundation
import Testing

/// Every command, given bad input, exits 2 with exactly one line on stderr,
/// `ckpt <command>: <message>`, and never echoes a control character from its input raw.
@Suite(.serialized) struct CommandConventionTests {
    static let badInputs: [(command: String, args: [String], message: String)] = [
        ("train", ["train", "--config", "absent.json", "--out", "a"], "absent.json: no such file"),
        ("resume", ["resume", "absent.h5"], "absent.h5: no such file or directory"),
        ("schedule", ["schedule", "--config", "absent.json", "--steps", "3"], "absent.json: no such file"),
        ("inspect", ["inspect", "absent.h5"], "absent.h5: no such file"),
        ("diff", ["diff", "absent.h5", "absent.h5"], "absent.h5: no such file"),
        ("verify", ["verify", "absent.h5"], "absent.h5: no such file"),
        ("plot", ["plot", "absent.h5"], "absent.h5: no such file"),
        ("convert", ["convert", "absent.safetensors", "out.h5"], "absent.safetensors"),
        ("schedule", ["schedule", "--config", "junk.json", "--steps", "3"], "junk.json: invalid JSON at byte"),
        ("convert", ["convert", "junk.safetensors", "out.h5"], "junk.safetensors"),
        ("plot", ["plot", "junk.json"], "junk.json: "),
    ]

    @Test(arguments: badInputs.indices)
    func badInputIsOneLineAndStatusTwo(index: Int) throws {
        let (command, args, message) = Self.badInputs[index]
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write("{not json", to: dir + "/junk.json")
        write("12345678", to: dir + "/junk.safetensors")
        let r = try Binary.ckpt(args, in: dir)
        #expect(r.status == 2, "\(args): \(r.stderr)")
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "exactly one line: \(r.stderr)")
        #expect(r.stderr.hasPrefix("ckpt \(command): "), "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
        #expect(!r.stderr.contains("Error Domain") && !r.stderr.contains("(file:"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/a") && !FileManager.default.fileExists(atPath: dir + "/out.h5"))
    }

    /// A NUL and an ESC sequence in a config key: echoed as \u0000 and \u001b, never raw.
    @Test(arguments: ["train", "schedule"])
    func controlCharactersInAConfigAreEscaped(command: String) throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = command == "train"
            ? #"{"data": {"batch\u0000\u001b[31msize": 4}}"#
            : #"{"optimizer": {"type": "SGD", "lr": 0.1, "l\u0000\u001b[31mr": 1}}"#
        write(config, to: dir + "/cfg.json")
        let args = command == "train" ? ["train", "--config", "cfg.json", "--out", "a"] : ["schedule", "--config", "cfg.json", "--steps", "2"]
        let r = try Binary.ckpt(args, in: dir)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("ckpt \(command): cfg.json: "), "\(r.stderr)")
        #expect(r.stderr.contains("\\u0000\\u001b[31m"), "\(r.stderr)")
        #expect(!r.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "no raw control character: \(r.stderr.debugDescription)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    /// `schedule --json` of a schedule that overflows: strict JSON ("Infinity" as a string).
    @Test func scheduleJSONHasNoBareNonFiniteNumbers() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(#"{"optimizer": {"type": "SGD", "lr": 1e300}, "scheduler": {"type": "MultiplicativeLR", "lr_lambda": "1e10"}}"#,
              to: dir + "/cfg.json")
        let r = try Binary.ckpt(["schedule", "--config", "cfg.json", "--steps", "3", "--json"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"Infinity\""), "\(r.stdout)")
        #expect(!r.stdout.replacingOccurrences(of: "\"Infinity\"", with: "").contains("Infinity"), "\(r.stdout)")
    }
}
