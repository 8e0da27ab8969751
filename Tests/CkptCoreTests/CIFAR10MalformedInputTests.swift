import CkptCore
import Foundation
import Testing

/// The CIFAR-10 binary loader on malformed files: every case is a `ModelError.data` naming the
/// file (and the size or record at fault), raised before the records are used.
@Suite struct CIFAR10MalformedInputTests {
    static let record = CIFAR10.recordSize  // 1 label byte + 3,072 pixels

    /// Loads the test set from a folder holding `test_batch.bin` = `bytes` (or a directory when nil).
    static func loadError(_ bytes: [UInt8]?, sourceLocation: SourceLocation = #_sourceLocation) throws -> (String, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-cifar-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("test_batch.bin")
        if let bytes {
            try Data(bytes).write(to: file)
        } else {
            try FileManager.default.createDirectory(at: file, withIntermediateDirectories: true)
        }
        do {
            let d = try CIFAR10.load(root: dir.path, train: false)
            Issue.record("loaded \(d.count) images", sourceLocation: sourceLocation)
        } catch let e as ModelError {
            guard case .data(let message) = e else {
                Issue.record("not ModelError.data: \(e)", sourceLocation: sourceLocation)
                return (file.path, "")
            }
            #expect(message.contains(file.path), "\(message)", sourceLocation: sourceLocation)
            return (file.path, message)
        }
        return (file.path, "")
    }

    static func records(_ n: Int, label: UInt8 = 1) -> [UInt8] {
        (0..<n).flatMap { _ in [label] + [UInt8](repeating: 128, count: 3072) }
    }

    @Test func truncatedRecord() throws {
        let (_, m) = try Self.loadError(Array(Self.records(2).dropLast()))
        #expect(m.contains("6145 bytes is not a whole number of 3073-byte CIFAR-10 records (1 records and 3072 bytes over)"), "\(m)")
    }

    /// CIFAR-100's binary records carry two label bytes (3,074 bytes): not CIFAR-10.
    @Test func wrongRecordSize() throws {
        let cifar100 = (0..<3).flatMap { _ in [UInt8(3), 7] + [UInt8](repeating: 0, count: 3072) }
        let (_, m) = try Self.loadError(cifar100)
        #expect(m.contains("9222 bytes is not a whole number of 3073-byte"), "\(m)")
    }

    @Test func emptyFile() throws {
        let (_, m) = try Self.loadError([])
        #expect(m.contains("empty file"), "\(m)")
    }

    @Test func directoryInPlaceOfTheFile() throws {
        let (_, m) = try Self.loadError(nil)
        #expect(m.contains("cannot read"), "\(m)")
    }

    @Test func moreRecordsThanABatchFileHolds() throws {
        let (_, m) = try Self.loadError(Self.records(10_001))
        #expect(m.contains("10001 records, more than the 10000 of a CIFAR-10 batch file"), "\(m)")
    }

    @Test(arguments: [10, 255] as [UInt8])
    func labelOutOfRange(label: UInt8) throws {
        let (_, m) = try Self.loadError(Self.records(1) + Self.records(1, label: label))
        #expect(m.contains("record 1 (byte 3073) has label \(label), expected 0...9"), "\(m)")
    }

    @Test func wholeRecordsLoad() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-cifar-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(Self.records(3, label: 9)).write(to: dir.appendingPathComponent("test_batch.bin"))
        let d = try CIFAR10.load(root: dir.path, train: false)
        #expect(d.count == 3 && d.labels == [9, 9, 9] && d.images.shape == [3, 3, 32, 32])
    }
}
