import Foundation
import Testing
@testable import Ckpt

/// `RunConfig(json:)` and `RunConfig(contentsOf:)` on malformed text: a `RunConfig.Error`
/// whose message names the byte offset of the bad JSON (or the key of a bad value), never a
/// trap and never a value read differently from what the text says.
@Suite struct RunConfigMalformedInputTests {
    static func error(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> RunConfig.Error? {
        do {
            _ = try RunConfig(json: text)
            Issue.record("accepted \(text.debugDescription)", sourceLocation: sourceLocation)
        } catch let e as RunConfig.Error {
            return e
        } catch {
            Issue.record("not a RunConfig.Error: \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    @Test(arguments: [
        // The issue's case: the scheduler type would have read as "Step⑁".
        (#"{"scheduler": {"type": "Step\uD800\u0041"}}"#, "invalid JSON at byte 28: high surrogate \\uD800 followed by \\u0041"),
        (#"{"scheduler": {"type": "\uDC00"}}"#, "invalid JSON at byte 24: lone low surrogate"),
        (#"{"scheduler": {"type": "Step\u+041"}}"#, "invalid JSON at byte 28: invalid \\u escape"),
        (#"{"scheduler": {"type": "Step\u00"#, "invalid JSON at byte 28: truncated \\u escape"),
        (#"{"epochs": 1e999}"#, "invalid JSON at byte 11: number 1e999 is too large for a double"),
        (#"{"seed": 18446744073709551616}"#, "invalid JSON at byte 9: integer 18446744073709551616 is outside the int64 range"),
        (#"{"epochs": 020}"#, "invalid JSON at byte 11: invalid number: leading zero"),
        (#"{"epochs": +2}"#, "invalid JSON at byte 11: unexpected '+'"),
        (#"{"epochs": 2, "epochs": 3}"#, #"invalid JSON at byte 14: duplicate key "epochs""#),
        ("{\"data\": {\"root\": \"a\tb\"}}", "invalid JSON at byte 20: control character"),
        (#"{"epochs": 2} {"#, "invalid JSON at byte 14: trailing characters"),
        (#"{"epochs": "#, "invalid JSON at byte 11: unexpected end of input"),
    ])
    func badJSONNamesTheOffset(text: String, message: String) throws {
        let e = try #require(Self.error(text))
        #expect(e.key == "" && e.message.hasPrefix(message), "\(e)")
    }

    @Test func deepNestingIsAnErrorNotACrash() throws {
        let text = #"{"optimizer": "# + String(repeating: "[", count: 100_000)
        let e = try #require(Self.error(text))
        #expect(e.message.contains("nesting deeper than 512"), "\(e)")
    }

    /// Well-formed JSON with values of the wrong kind: the key is named.
    @Test(arguments: [
        (#"{"epochs": 2.0}"#, "epochs", "expected a positive integer, found 2.0"),
        (#"{"epochs": 9223372036854775807}"#, "epochs", "expected a positive integer"),
        (#"{"seed": -1}"#, "seed", "expected a non-negative integer, found -1"),
        (#"{"data": {"batch_size": NaN}}"#, "data.batch_size", "expected a positive integer, found NaN"),
        (#"{"model": {"type": "mlp", "sizes": [3072, -1]}}"#, "model.sizes[1]", "expected a positive integer, found -1"),
        (#"{"scheduler": {"type": "ExponentialLR", "interval": "Step\u00e9"}}"#, "scheduler.interval", #"expected "epoch" or "step""#),
    ])
    func badValuesNameTheKey(text: String, key: String, message: String) throws {
        let e = try #require(Self.error(text))
        #expect(e.key == key && e.message.contains(message), "\(e)")
    }

    @Test func fileEntryPointNamesTheFile() throws {
        let path = NSTemporaryDirectory() + "ckpt-config-" + UUID().uuidString + ".json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(#"{"scheduler": {"type": "Step\uD800\u0041"}}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: RunConfig.Error(key: "", message: "invalid JSON at byte 28: high surrogate \\uD800 followed by \\u0041, not by a \\uDC00-\\uDFFF low surrogate", file: path)) {
            try RunConfig(contentsOf: path)
        }
        // A raw (CESU-8) surrogate is not UTF-8 text at all.
        try Data([0x7B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x3A, 0x31, 0x7D]).write(to: URL(fileURLWithPath: path))
        #expect(throws: RunConfig.Error(key: "", message: "not UTF-8 text", file: path)) {
            try RunConfig(contentsOf: path)
        }
    }
}
