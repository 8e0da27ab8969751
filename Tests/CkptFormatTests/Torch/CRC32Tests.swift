import CkptTestSupport
import Foundation
import Testing
@testable import CkptFormat

/// `CRC32` (zip's CRC-32, `ckpt_crc32` in CKernels): the standard check values, the folding
/// path equal to the table path at every length and alignment around its block sizes, chunked
/// updates equal to one update, and python's `zlib.crc32` (a reference nobody here wrote).
@Suite struct CRC32Tests {
    /// Bytes that are not a simple pattern: a 64-bit LCG's high bytes.
    static func bytes(_ n: Int, seed: UInt64 = 1) -> [UInt8] {
        var x = seed
        return (0..<n).map { _ in
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: x >> 56)
        }
    }

    @Test func standardCheckValues() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
        #expect(CRC32.checksum([UInt8](repeating: 0, count: 32)) == 0x190A_55AD)
        #expect(CRC32.checksum([UInt8](repeating: 0xFF, count: 32)) == 0xFF6C_AB0B)
    }

    @Test func foldingEqualsTablesAtEveryLengthAndAlignment() {
        let b = Self.bytes(1200)
        b.withUnsafeBytes { all in
            for start in 0..<4 {
                for n in 0...(all.count - start - 4) where n < 300 || n % 61 == 0 {
                    let part = UnsafeRawBufferPointer(rebasing: all[start..<(start + n)])
                    #expect(CRC32.update(0, part) == CRC32.portable(0, part), "start \(start), length \(n)")
                }
            }
        }
    }

    @Test func chunkedUpdatesEqualOneUpdate() {
        let b = Self.bytes(1 << 20, seed: 7)
        let whole = CRC32.checksum(b)
        for cut in [1, 15, 16, 63, 64, 65, 4095, 1 << 19] {
            let split = b.withUnsafeBytes { all in
                CRC32.update(CRC32.update(0, UnsafeRawBufferPointer(rebasing: all[..<cut])), UnsafeRawBufferPointer(rebasing: all[cut...]))
            }
            #expect(split == whole, "cut at \(cut)")
        }
    }

    @Test(.enabled(if: Tools.python3 != nil, "python3 is not installed"))
    func matchesPythonsZlib() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-crc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var lines: [String] = []
        for (i, n) in [0, 1, 7, 63, 64, 100, 1000, 65_537, 3 << 20].enumerated() {
            let b = Self.bytes(n, seed: UInt64(i + 3))
            let path = dir.appendingPathComponent("\(i).bin").path
            try Data(b).write(to: URL(fileURLWithPath: path))
            lines.append("\(path) \(CRC32.checksum(b))")
        }
        let script = """
            import sys, zlib
            for line in sys.argv[1:]:
                path, ours = line.rsplit(" ", 1)
                theirs = zlib.crc32(open(path, "rb").read())
                print("ok" if theirs == int(ours) else f"{path}: zlib {theirs:#010x}, ckpt {int(ours):#010x}")
            """
        let r = try Subprocess.run(Tools.python3!, ["-c", script] + lines)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").allSatisfy { $0 == "ok" }, "\(r.stdout)")
    }
}
