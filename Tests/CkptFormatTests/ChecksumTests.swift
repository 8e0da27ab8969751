import CkptCore
import Testing
@testable import CkptFormat

@Suite struct ChecksumTests {
    /// XXH64 of the first n bytes of (i*7+3) % 256, computed by python's `xxhash` package
    /// (the reference C library), seed 0.
    static let vectors: [(Int, String)] = [
        (0, "ef46db3751d8e999"), (1, "1f25c8d0bc1f4bb6"), (3, "31d2363f52e564c9"), (4, "9bb64b7d66ee9fda"),
        (7, "9a7b149959ce60d8"), (8, "dab99d95c6f90092"), (9, "170bb6bf975b4c02"), (31, "a2aa5f33cc4a6119"),
        (32, "23c3c17ef790fd97"), (33, "50a7cfc7ba588784"), (63, "5e3e54b431c7493c"), (64, "0eb64b3ef6eeb01f"),
        (65, "a383b724b2bd12f1"), (100, "a61f8d4c170fe531"), (1000, "5f235fa033f1a3fb"), (4099, "6243e90ade852967"),
    ]

    @Test(arguments: vectors)
    func matchesReferenceXXH64(length: Int, hex: String) {
        let bytes = (0..<length).map { UInt8(($0 * 7 + 3) % 256) }
        let h = bytes.withUnsafeBytes { Checksum.xxh64($0) }
        #expect(Checksum.format(h) == "xxh64:" + hex)
    }

    @Test func publishedVectorForABC() {
        // xxHash's documented XXH64("abc", 0).
        #expect(Array("abc".utf8).withUnsafeBytes { Checksum.xxh64($0) } == 0x44BC_2CF5_AD77_0999)
    }

    @Test func tensorChecksumCoversBytesNotValues() {
        let a = TensorData(shape: [2], storage: .float32([0.0, 1]))
        let b = TensorData(shape: [2], storage: .float32([-0.0, 1]))
        #expect(Checksum.of(a) != Checksum.of(b))
    }
}
