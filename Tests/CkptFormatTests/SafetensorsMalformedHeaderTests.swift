import CkptCore
import Foundation
import Testing
@testable import CkptFormat

/// Safetensors headers beyond `SafetensorsTests.hostile`: bad JSON inside the header, offsets
/// past the end or reversed, shapes that disagree with their dtype and byte range. Each is a
/// `CheckpointError.malformed` naming the file and the tensor, raised from the header alone.
@Suite struct SafetensorsMalformedHeaderTests {
    static let file = "bad.safetensors"

    /// Parses `header` as the header of a file with `dataBytes` bytes of data.
    static func reason(_ header: String, dataBytes: Int, sourceLocation: SourceLocation = #_sourceLocation) -> (path: String, reason: String)? {
        let bytes = SafetensorsTests.file(header, dataBytes: dataBytes)
        do {
            let h = try Safetensors.parseHeader(bytes, fileSize: bytes.count, file: file)
            Issue.record("accepted: \(h.entries)", sourceLocation: sourceLocation)
        } catch let e as CheckpointError {
            guard case .malformed(let f, let path, let reason) = e else {
                Issue.record("not .malformed: \(e)", sourceLocation: sourceLocation)
                return nil
            }
            #expect(f == file, sourceLocation: sourceLocation)
            return (path, reason)
        } catch {
            Issue.record("not a CheckpointError: \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    static func entry(_ dtype: String = "U8", _ shape: String, _ offsets: String) -> String {
        #"{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}"#
    }

    @Test(arguments: [
        (#"{"w\uD800":{}}"#, "invalid JSON at byte 3: lone high surrogate"),
        (#"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}"#, "invalid JSON at byte 52: expected ',' or '}'"),
        (#"{"w":{"dtype":"U8","shape":[01],"data_offsets":[0,1]}}"#, "invalid JSON at byte 28: invalid number: leading zero"),
        (#"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,18446744073709551616]}}"#, "invalid JSON at byte 49: integer 18446744073709551616 is outside the int64 range"),
        (#"{} x"#, "invalid JSON at byte 3: trailing characters"),
        ("{\"a\":" + String(repeating: "[", count: 600), "invalid JSON at byte 516: nesting deeper than 512"),
    ])
    func badJSONInTheHeader(header: String, message: String) throws {
        let r = try #require(Self.reason(header, dataBytes: 1))
        #expect(r.path == "header" && r.reason.contains(message), "\(r)")
    }

    @Test(arguments: [
        // Offsets past the end of the data section.
        ("{\"a\":\(entry("U8", "[16]", "[0,16]"))}", 8, "data", "ends at byte 16 of the data section"),
        ("{\"a\":\(entry("U8", "[8]", "[0,8]")),\"b\":\(entry("U8", "[1]", "[8,9]"))}", 8, "data", "ends at byte 9 of the data section"),
        // Reversed and overlapping ranges.
        ("{\"a\":\(entry("U8", "[4]", "[0,4]")),\"b\":\(entry("U8", "[0]", "[8,4]"))}", 8, "b", "data_offsets [8, 4] end before they begin"),
        ("{\"a\":\(entry("U8", "[4]", "[0,4]")),\"b\":\(entry("U8", "[4]", "[2,6]"))}", 8, "b", "data_offsets [2, 6] begin at 2, but 'a' (data_offsets [0, 4]) ends at 4: an overlap of 2 bytes"),
        ("{\"a\":\(entry("U8", "[8]", "[0,8]")),\"b\":\(entry("U8", "[4]", "[4,8]"))}", 8, "b", "an overlap of 4 bytes"),
        // Shape and dtype that disagree with the byte range.
        ("{\"a\":\(entry("I64", "[1]", "[0,4]"))}", 4, "a", "shape [1] of I64 needs 8 bytes, data_offsets give 4"),
        ("{\"a\":\(entry("F16", "[2, 2]", "[0,4]"))}", 4, "a", "shape [2, 2] of F16 needs 8 bytes"),
        ("{\"a\":\(entry("F64", "[2305843009213693952]", "[0,8]"))}", 8, "a", "overflows"),
        ("{\"a\":\(entry("U8", "[-1, -1]", "[0,1]"))}", 1, "a", "non-negative integers"),
        ("{\"a\":\(entry("U8", "[2.0]", "[0,2]"))}", 2, "a", "non-negative integers"),
        ("{\"a\":\(entry("U8", "[2]", "[0.0,2.0]"))}", 2, "a", "'data_offsets' must be two non-negative integers"),
        ("{\"a\":\(entry("U8", "[2]", "[-2,0]"))}", 2, "a", "'data_offsets' must be two non-negative integers"),
        ("{\"a\":\(entry("U8", "[2]", "[0,1,2]"))}", 2, "a", "'data_offsets' must be two non-negative integers"),
        ("{\"a\":\(entry("U8", "2", "[0,2]"))}", 2, "a", "'shape' missing or not a list"),
        (#"{"a":{"dtype":8,"shape":[2],"data_offsets":[0,2]}}"#, 2, "a", "'dtype' missing or not a string"),
        (#"{"a":[0,2]}"#, 2, "a", "expected an object, found list"),
        (#"{"__metadata__":[]}"#, 0, "__metadata__", "expected an object of strings"),
    ])
    func badEntries(header: String, dataBytes: Int, path: String, message: String) throws {
        let r = try #require(Self.reason(header, dataBytes: dataBytes))
        #expect(r.path == path && r.reason.contains(message), "\(r)")
    }

    /// The reader builds each tensor through `TensorData(validating:)` after the header checks:
    /// a well-formed file still reads back exactly.
    @Test func wellFormedFileReads() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let bytes = SafetensorsTests.file("{\"a\":\(Self.entry("U8", "[2, 2]", "[0,4]"))}", dataBytes: 4)
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/ok.safetensors"))
        let (tensors, _) = try Safetensors.read(dir + "/ok.safetensors")
        #expect(tensors["a"] == .tensor(TensorData(shape: [2, 2], storage: .uint8([0, 0, 0, 0]))))
    }
}
