import Foundation
import Testing
@testable import CkptCore

@Suite("Data")
struct DataTests {
    static func tiny(_ n: Int) -> Dataset {
        Dataset(images: Tensor(shape: [n, 2], storage: (0..<(2 * n)).map(Float.init)),
                labels: (0..<n).map { Int32($0 % 10) }, source: "tiny")
    }

    @Test("batches: order is a pure function of (seed, epoch), every sample once, last batch short")
    func batches() {
        let d = Self.tiny(10)
        let e0 = Array(Batches(d, batchSize: 4, shuffle: true, seed: 1, epoch: 0))
        #expect(e0.map(\.labels.count) == [4, 4, 2])
        #expect(e0.flatMap(\.indices).sorted() == Array(0..<10))
        #expect(e0.flatMap(\.indices) == Array(Batches(d, batchSize: 4, shuffle: true, seed: 1, epoch: 0)).flatMap(\.indices))
        let e1 = Array(Batches(d, batchSize: 4, shuffle: true, seed: 1, epoch: 1)).flatMap(\.indices)
        let s2 = Array(Batches(d, batchSize: 4, shuffle: true, seed: 2, epoch: 0)).flatMap(\.indices)
        #expect(e1 != e0.flatMap(\.indices) && s2 != e0.flatMap(\.indices))
        let b = e0[1]
        #expect(b.images.shape == [4, 2])
        #expect(b.images.storage == b.indices.flatMap { [Float(2 * $0), Float(2 * $0 + 1)] })
        #expect(b.labels == b.indices.map { Int32($0 % 10) })
        #expect(Array(Batches(d, batchSize: 3, shuffle: false, seed: 0, epoch: 0)).flatMap(\.indices) == Array(0..<10))
    }

    @Test("resuming at a batch yields the rest of the same epoch")
    func resume() {
        let d = Self.tiny(23)
        let full = Array(Batches(d, batchSize: 5, shuffle: true, seed: 9, epoch: 3))
        let rest = Array(Batches(d, batchSize: 5, shuffle: true, seed: 9, epoch: 3, startBatch: 2))
        #expect(rest.map(\.indices) == full.dropFirst(2).map(\.indices))
    }

    @Test("limit caps the samples, then shuffles them")
    func limit() {
        let d = Self.tiny(50)
        let b = Batches(d, batchSize: 4, shuffle: true, seed: 0, epoch: 0, limit: 9)
        #expect(b.batchCount == 3)
        #expect(Array(b).flatMap(\.indices).sorted() == Array(0..<9))
    }

    @Test("synthetic data is deterministic, CIFAR-shaped and in [-1, 1]")
    func synthetic() {
        let (a, t) = Synthetic.make(trainSize: 50, testSize: 20, seed: 3)
        let (b, _) = Synthetic.make(trainSize: 50, testSize: 20, seed: 3)
        let (c, _) = Synthetic.make(trainSize: 50, testSize: 20, seed: 4)
        #expect(a.images.shape == [50, 3, 32, 32] && t.images.shape == [20, 3, 32, 32])
        let same = TensorData(a.images).bitwiseEqual(TensorData(b.images)) && a.labels == b.labels
        let differ = a.images.storage != c.images.storage
        let inRange = a.images.storage.allSatisfy { $0 >= -1 && $0 <= 1 }
        #expect(same && differ && inRange)
        #expect(Set(a.labels).count == 10)
    }

    @Test("CIFAR-10 binaries load with torchvision's normalisation")
    func cifar() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-cifar-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func record(_ label: UInt8, _ pixel: (Int) -> UInt8) -> [UInt8] { [label] + (0..<3072).map(pixel) }
        for name in CIFAR10.trainFiles {
            try Data(record(3, { UInt8($0 % 256) }) + record(9, { _ in 255 })).write(to: dir.appendingPathComponent(name))
        }
        try Data(record(0, { _ in 0 })).write(to: dir.appendingPathComponent("test_batch.bin"))
        let train = try CIFAR10.load(root: dir.path, train: true)
        #expect(train.count == 10 && train.images.shape == [10, 3, 32, 32])
        #expect(train.labels.prefix(2) == [3, 9])
        // torchvision: ToTensor (p / 255) then Normalize(0.5, 0.5); values from PyTorch
        #expect(train.images.storage[0] == -1 && train.images.storage[3072] == 1)
        #expect(train.images.storage[128] == (Float(128) / 255 - 0.5) / 0.5)
        #expect(train.images.storage[1024 + 1] == (Float(1) / 255 - 0.5) / 0.5)  // green plane starts at 1024
        let test = try CIFAR10.load(root: dir.path, train: false)
        #expect(test.count == 1 && test.labels == [0])
    }

    @Test("a missing CIFAR-10 folder says where to put which files")
    func missing() {
        do {
            _ = try CIFAR10.load(root: "/nonexistent/cifar", train: true)
            Issue.record("no error")
        } catch {
            let text = "\(error)"
            #expect(text.contains("/nonexistent/cifar") && text.contains("data_batch_1.bin") && text.contains("test_batch.bin"))
        }
    }

    @Test("truncated and mislabelled files are errors naming the file")
    func corrupt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-cifar-bad-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data([1, 2, 3]).write(to: dir.appendingPathComponent("test_batch.bin"))
        #expect(throws: ModelError.self) { try CIFAR10.load(root: dir.path, train: false) }
        try Data([10] + [UInt8](repeating: 0, count: 3072)).write(to: dir.appendingPathComponent("test_batch.bin"))
        do { _ = try CIFAR10.load(root: dir.path, train: false) } catch { #expect("\(error)".contains("label 10")) }
    }
}
