import Foundation
import Testing

/// The JSON reader's refusals as a user meets them: exit status 2 and one line on stderr naming
/// the file and the byte offset, nothing else printed or written.
@Suite struct MalformedJSONTests {
    /// Issue 13: a lone high surrogate used to be combined with the next escape, and the
    /// scheduler was reported as an unknown "Step⑁" instead of the config as invalid.
    static let surrogateConfig = #"""
        {"optimizer": {"type": "SGD", "lr": 0.1},
         "scheduler": {"type": "Step\uD800\u0041", "step_size": 2}}
        """#

    static var surrogateOffset: Int {
        let t = Array(surrogateConfig.utf8), n = Array(#"\uD800"#.utf8)
        return (0...(t.count - n.count)).first { Array(t[$0..<($0 + n.count)]) == n }!
    }

    @Test func scheduleRefusesALoneSurrogate() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(Self.surrogateConfig, to: dir + "/cfg.json")
        let r = try Binary.ckpt(["schedule", "--config", "cfg.json", "--steps", "3"], in: dir)
        #expect(r.status == 2)
        #expect(r.stderr == """
            ckpt schedule: cfg.json: invalid JSON at byte \(Self.surrogateOffset): high surrogate \\uD800 followed by \\u0041, \
            not by a \\uDC00-\\uDFFF low surrogate

            """, "\(r.stderr)")
        #expect(!r.stderr.contains("⑁"))
        #expect(r.stdout.isEmpty)
    }

    @Test func trainRefusesALoneSurrogate() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(Self.surrogateConfig, to: dir + "/cfg.json")
        let r = try Binary.ckpt(["train", "--config", "cfg.json", "--out", "a"], in: dir)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("ckpt train: cfg.json: invalid JSON at byte \(Self.surrogateOffset): high surrogate"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/a"), "nothing is written")
    }

    @Test(arguments: [
        (#"{"optimizer": {"type": "SGD", "lr": 01}}"#, "invalid JSON at byte 36: invalid number: leading zero"),
        (#"{"optimizer": {"type": "SGD", "lr": 1e999}}"#, "invalid JSON at byte 36: number 1e999 is too large for a double"),
        (#"{"optimizer": {"type": "SGD", "lr": 0.1, "lr": 0.2}}"#, #"invalid JSON at byte 41: duplicate key "lr""#),
        ("{\"optimizer\": " + String(repeating: "[", count: 600), "invalid JSON at byte 525: nesting deeper than 512 arrays/objects"),
    ])
    func scheduleNamesTheOffset(config: String, message: String) throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(config, to: dir + "/cfg.json")
        let r = try Binary.ckpt(["schedule", "--config", "cfg.json", "--steps", "3"], in: dir)
        #expect(r.status == 2)
        #expect(r.stderr == "ckpt schedule: cfg.json: \(message)\n", "\(r.stderr)")
    }
}
