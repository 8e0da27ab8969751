import CkptCore
import CkptTestSupport
import Foundation
import Testing
@testable import CkptFormat

/// Safetensors against files written by the reference `safetensors` Python package
/// (`fixtures/make_safetensors_fixtures.py`) and against hostile headers.
@Suite struct SafetensorsTests {
    static let tiny = Repository.path("fixtures/safetensors/tiny.safetensors")

    /// The generator's values: `arange(n) - 1.5` for floats, `arange(n)` for ints,
    /// `arange(n) % 2 == 1` for bools.
    static func expected(_ dtype: DType, _ shape: [Int]) -> TensorData {
        let n = shape.reduce(1, *)
        let storage: TensorData.Storage = switch dtype {
        case .float32: .float32((0..<n).map { Float($0) - 1.5 })
        case .float64: .float64((0..<n).map { Double($0) - 1.5 })
        case .float16: .float16((0..<n).map { Float16(Float($0) - 1.5).bitPattern })
        case .int64: .int64((0..<n).map { Int64($0) })
        case .int32: .int32((0..<n).map { Int32($0) })
        case .int16: .int16((0..<n).map { Int16($0) })
        case .int8: .int8((0..<n).map { Int8($0) })
        case .bfloat16: .bfloat16((0..<n).map { (Float($0) - 1.5).bfloat16Bits })
        case .uint8: .uint8((0..<n).map { UInt8($0) })
        case .bool: .bool((0..<n).map { $0 % 2 == 1 })
        }
        return TensorData(shape: shape, storage: storage)
    }

    static let tinyShapes: [String: (DType, [Int])] = [
        "conv.weight": (.float32, [2, 1, 2, 2]), "double": (.float64, [3]), "half": (.float16, [2, 2]),
        "index": (.int64, [4]), "count": (.int32, [2, 3]), "bytes": (.uint8, [5]), "mask": (.bool, [3]),
        "scalar": (.float32, []), "empty": (.float32, [0, 3]),
    ]

    @Test func readsTheReferencePackagesFile() throws {
        let (tensors, metadata) = try Safetensors.read(Self.tiny)
        #expect(Set(tensors.keys) == Set(Self.tinyShapes.keys))
        for (name, (dtype, shape)) in Self.tinyShapes {
            let t = try #require(tensors[name]?.tensorValue, "\(name)")
            #expect(t.bitwiseEqual(Self.expected(dtype, shape)), "\(name): \(t)")
        }
        #expect(Dictionary(uniqueKeysWithValues: metadata.map { ($0.key, $0.value) }) == ["format": "pt", "source": "fixtures"])
    }

    @Test func writeThenReadIsBitwiseAndAligned() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/m.safetensors"
        var sd = StateDict()
        for name in ["mask", "conv.weight", "bytes", "half", "scalar", "empty", "double", "index", "count"] {
            let (dtype, shape) = Self.tinyShapes[name]!
            sd[name] = .tensor(Self.expected(dtype, shape))
        }
        sd["nan"] = .tensor(TensorData(shape: [2], storage: .float32([.nan, -0.0])))
        try Safetensors.write(sd, metadata: [("format", "pt")], to: path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let n = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(n % 8 == 0)
        let (back, metadata) = try Safetensors.read(path)
        #expect(back.keys == sd.keys)   // written in order, read in data order
        #expect(back.bitwiseEqual(sd))
        #expect(metadata.map(\.key) == ["format"])
        // Nothing left behind by the atomic write.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["m.safetensors"])
    }

    /// A file from a header text and a data section of `dataBytes` zero bytes.
    static func file(_ header: String, dataBytes: Int, lengthOverride: UInt64? = nil) -> [UInt8] {
        let h = Array(header.utf8)
        var n = lengthOverride ?? UInt64(h.count)
        var out: [UInt8] = []
        for _ in 0..<8 { out.append(UInt8(n & 0xFF)); n >>= 8 }
        return out + h + [UInt8](repeating: 0, count: dataBytes)
    }

    static let hostile: [(String, [UInt8], String)] = [
        ("too short", [1, 0, 0], "fewer than the 8-byte header length"),
        ("header over the cap", file("{}", dataBytes: 0, lengthOverride: 100_000_001), "exceeds the limit"),
        ("header past the end", file("{}", dataBytes: 0, lengthOverride: 50), "truncated inside its header"),
        ("not an object", file("[1, 2]", dataBytes: 0), "starting with '{'"),
        ("bad JSON", file("{\"a\": ", dataBytes: 0), "invalid JSON"),
        ("bad UTF-8", file("{\"\u{FF}\"}", dataBytes: 0).enumerated().map { $0.offset == 10 ? 0xFF : $0.element }, "UTF-8"),
        ("hole", file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, dataBytes: 8), "begin at 4, but the data section starts at 0: a hole of 4 bytes"),
        ("overlap", file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, dataBytes: 8), "an overlap of 4 bytes"),
        ("size mismatch", file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataBytes: 8), "needs 12 bytes"),
        ("overflow", file(#"{"a":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, dataBytes: 8), "overflows"),
        ("trailing data", file(#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#, dataBytes: 8), "4 bytes (file offsets"),
        ("missing data", file(#"{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}"#, dataBytes: 4), "truncated, 4 bytes missing"),
        ("unsupported dtype", file(#"{"a":{"dtype":"U16","shape":[2],"data_offsets":[0,4]}}"#, dataBytes: 4), "U16 is not supported"),
        ("negative dim", file(#"{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}"#, dataBytes: 0), "non-negative"),
        ("bad offsets", file(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}}"#, dataBytes: 1), "data_offsets"),
        ("metadata not strings", file(#"{"__metadata__":{"a":1}}"#, dataBytes: 0), "expected a string"),
        ("duplicate key", file(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, dataBytes: 1), "duplicate"),
    ]

    @Test(arguments: hostile.indices)
    func rejectsHostileFiles(_ i: Int) throws {
        let (label, bytes, reason) = Self.hostile[i]
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/bad.safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try Safetensors.read(path)
            Issue.record("\(label): accepted")
        } catch let e as CheckpointError {
            #expect(e.description.contains(reason), "\(label): \(e)")
            #expect(e.file == path)
        }
    }

    @Test func refusesNonTensorsWhenWriting() {
        #expect(throws: CheckpointError.self) {
            try Safetensors.header(for: ["a": .int(1)], file: "x.safetensors")
        }
    }
}
