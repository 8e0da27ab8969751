import CkptCore
import CkptTestSupport
import Foundation
import Testing
@testable import CkptFormat

/// Hostile `.pt` files: each is refused with an error that names the file and what is wrong,
/// and none crashes, hangs or allocates what it asks for. The files come from
/// `fixtures/make_pt_fixtures.py`; the rest are built here by mutating a real file's bytes.
@Suite struct TorchHostileInputTests {
    static let hostile = Repository.path("fixtures/torch/hostile")
    static let stateDict = Repository.path("fixtures/torch/state_dict.pt")
    /// The file `os_system.pt` would create if anything ran it.
    static let marker = "/tmp/ckpt_pt_fixture_pwned"

    static func refusal(_ body: () throws -> Any) -> String? {
        do { _ = try body(); return nil } catch { return "\(error)" }
    }

    @Test func aPickleCallingOsSystemIsRefusedAndNothingRuns() throws {
        try? FileManager.default.removeItem(atPath: Self.marker)
        let path = Self.hostile + "/os_system.pt"
        let error = try #require(Self.refusal { try CheckpointFile.load(path) })
        #expect(error.contains("refusing `posix.system`: ckpt never runs code from a file"), "\(error)")
        #expect(error.contains(path) && error.contains("data.pkl"))
        #expect(!FileManager.default.fileExists(atPath: Self.marker))
    }

    @Test(arguments: [
        ("reduce_class.pt", "refusing `__main__.Exploit`"),
        ("memo_range.pt", "memo entry 5 was never stored"),
        ("short_storage.pt", "reach element 4 of storage data/0, which holds 4"),
        ("missing_storage.pt", "names storage \"9\", which the zip does not hold"),
        ("huge_shape.pt", "overflows"),
        ("nested.pt", "nested deeper than 256 levels"),
        ("overlap.pt", "overlaps archive/outer"),
        ("dotdot.pt", "must not contain a '..' component"),
        ("duplicate.pt", "appears twice"),
        ("compressed.pt", "compressed (method 8, deflate)"),
        ("truncated.pt", "no end-of-central-directory record"),
    ])
    func refused(_ name: String, _ words: String) throws {
        let path = Self.hostile + "/" + name
        let error = try #require(Self.refusal { try TorchFile.read(path) }, "\(name) was read")
        #expect(error.contains(words), "\(error)")
        #expect(error.hasPrefix(path + ": "), "\(error)")
    }

    /// Every prefix of a real file is refused (never a crash, never a partial read).
    @Test func everyTruncationIsRefused() throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.stateDict)))
        for n in stride(from: 0, to: bytes.count, by: 7) {
            #expect(Self.refusal { try TorchFile.read(bytes: Array(bytes[..<n]), file: "t.pt") } != nil, "\(n) bytes read")
        }
    }

    /// The central directory lies: its offset, its size, the entry count, an entry's size
    /// or its local header offset changed; each is caught before any entry is used.
    @Test func aLyingCentralDirectoryIsRefused() throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.stateDict)))
        let eocd = try #require((0...(bytes.count - 22)).last { bytes[$0..<($0 + 4)].elementsEqual([0x50, 0x4B, 5, 6]) })
        let cd = Int(bytes[eocd + 16]) | Int(bytes[eocd + 17]) << 8 | Int(bytes[eocd + 18]) << 16 | Int(bytes[eocd + 19]) << 24
        func patched(_ at: Int, _ values: [UInt8]) -> [UInt8] {
            var b = bytes
            for (i, v) in values.enumerated() { b[at + i] = v }
            return b
        }
        // torch.save writes a ZIP64 end record (56 bytes) and locator (20) before the classic one.
        let z64 = eocd - 76
        #expect(bytes[z64..<(z64 + 4)].elementsEqual([0x50, 0x4B, 6, 6]))
        let cases: [(String, [UInt8], String)] = [
            ("classic cd offset", patched(eocd + 16, [UInt8(truncatingIfNeeded: cd + 1), UInt8(truncatingIfNeeded: (cd + 1) >> 8)]), "disagree on the directory offset"),
            ("classic cd size", patched(eocd + 12, [0xFF, 0xFF, 0xFF, 0x0F]), "disagree on the directory size"),
            ("classic entry count", patched(eocd + 8, [1, 0, 1, 0]), "disagree"),
            ("zip64 cd offset", patched(z64 + 48, [UInt8(truncatingIfNeeded: cd + 1), UInt8(truncatingIfNeeded: (cd + 1) >> 8)] + patched(eocd + 16, [0xFF, 0xFF, 0xFF, 0xFF])[(eocd + 16)..<(eocd + 20)]), "disagree"),
            ("zip64 cd size", patched(z64 + 40, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0]), "disagree"),
            ("sentinel size, huge zip64 size", patched(z64 + 40, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0]).enumerated().map { $0.offset >= eocd + 12 && $0.offset < eocd + 16 ? 0xFF : $0.element }, "exceeds the limit"),
            ("entry size", patched(cd + 20, [0xF0, 0xFF, 0xFF, 0x7F]), "differs from its size"),
            ("local offset", patched(cd + 42, [0x10, 0, 0, 0]), "no local header"),
            ("crc", patched(cd + 16, [0, 0, 0, 0]), "CRC-32 mismatch"),
        ]
        for (what, b, words) in cases {
            let error = Self.refusal { try TorchFile.read(bytes: b, file: "lie.pt") }
            #expect(error != nil, "\(what): read")
            #expect(error?.contains(words) == true, "\(what): \(error ?? "")")
        }
    }

    /// An empty archive: the end-of-central-directory record alone.
    static let emptyZip: [UInt8] = [0x50, 0x4B, 5, 6] + [UInt8](repeating: 0, count: 18)

    /// Pickles no torch.save file holds, run on the unpickler directly.
    static func unpickle(_ body: [UInt8]) -> String? {
        refusal {
            try Pickle.load([0x80, 2] + body + [0x2E], file: "p.pt", entry: "archive/data.pkl",
                            storages: { key, _, _, _ in throw CheckpointError.missing(file: "p.pt", path: key) }) { value in
                var converter = TorchValueConverter(
                    tensors: TorchTensorMaterializer(zip: try ZipArchive(ByteSource(bytes: emptyZip, file: "p.pt")), bigEndian: false), file: "p.pt")
                converter.maxNodes = 100_000  // the default (10 million) takes seconds to reach
                return try converter.convert(value)
            }
        }
    }

    @Test func craftedPicklesAreErrorsNotCrashesOrHangs() {
        let list: UInt8 = 0x5D, append: UInt8 = 0x61, binput: UInt8 = 0x71, binget: UInt8 = 0x68
        // A list that contains itself.
        #expect(Self.unpickle([list, binput, 0, binget, 0, append])?.contains("nested deeper") == true)
        // (x, x) nested 64 times: 2^64 nodes as a tree.
        var dag: [UInt8] = [0x4E]
        for _ in 0..<64 { dag += [binput, 0, binget, 0, 0x86] }
        #expect(Self.unpickle(dag)?.contains("more than") == true)
        // 100,000 nested tuples (TUPLE1).
        #expect(Self.unpickle([0x4E] + [UInt8](repeating: 0x85, count: 100_000))?.contains("nested deeper") == true)
        // An integer of 9 bytes; an unknown opcode; a string running past the end; an empty stack.
        #expect(Self.unpickle([0x8A, 9] + [UInt8](repeating: 1, count: 9))?.contains("does not fit in 64 bits") == true)
        #expect(Self.unpickle([0x49, 0x31, 0x0A])?.contains("opcode 0x49") == true)
        #expect(Self.unpickle([0x58, 0xFF, 0xFF, 0xFF, 0x7F, 0x41])?.contains("truncated") == true)
        #expect(Self.unpickle([append])?.contains("stack is empty") == true)
        // NEWOBJ and BUILD on anything but an OrderedDict.
        #expect(Self.unpickle([0x63] + Array("collections\nOrderedDict\n".utf8) + [0x29, 0x81])?.contains("refusing to create") == true)
        #expect(Self.unpickle([list, 0x7D, 0x62])?.contains("BUILD is allowed on an OrderedDict only") == true)
        // A persistent id that is not a storage.
        #expect(Self.unpickle([0x4E, 0x51])?.contains("persistent id") == true)
    }
}
