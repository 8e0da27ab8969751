import CkptCore
import Foundation
import Testing
@testable import Ckpt

/// `CheckpointSnapshot`: the async saver's copy of the state. Bytes equal to the live state's,
/// buffers reused in place from the second save on (no allocation, no copy of the live buffers
/// by the next optimizer step), and a snapshot still held is never overwritten.
@Suite struct CheckpointSnapshotTests {
    static func run() throws -> Run {
        let run = try Run(config: RetentionTests.config(""))
        var batches = run.remainingBatches().makeIterator()
        for _ in 0..<2 { if let b = batches.next() { try run.trainStep(b) } }
        return run
    }

    static func address(_ t: TensorData) -> UnsafeRawPointer? { t.withUnsafeBytes { $0.baseAddress } }

    static func firstTensors(_ c: Checkpoint) -> [TensorData] {
        c.model.tensors().map(\.tensor) + (c.optimizer?.tensors().map(\.tensor) ?? [])
    }

    @Test func copiesEveryTensorBitForBitAndSharesNothingWithTheLiveState() throws {
        let run = try Self.run()
        let snapshot = CheckpointSnapshot()
        let live = run.checkpoint()
        let copy = snapshot.capture(live)
        #expect(RunVerification.compare(copy, reference: live).identical)
        let (a, b) = (Self.firstTensors(live), Self.firstTensors(copy))
        #expect(a.count == b.count && !a.isEmpty)
        for (x, y) in zip(a, b) where x.count > 0 { #expect(Self.address(x) != Self.address(y)) }
        var total = 0
        for section in [copy.model, copy.optimizer, copy.scheduler, copy.progress, copy.rng, copy.metadata] {
            for (_, t) in section?.tensors() ?? [] { total += t.byteCount }
        }
        #expect(snapshot.copiedBytes == total)
    }

    @Test func theSecondCaptureReusesTheBuffersInPlace() throws {
        let run = try Self.run()
        let snapshot = CheckpointSnapshot()
        var addresses: [UnsafeRawPointer?] = []
        do {
            let first = snapshot.capture(run.checkpoint())
            addresses = Self.firstTensors(first).map(Self.address)
            #expect(snapshot.allocated > 0)
        }
        var batches = run.remainingBatches().makeIterator()
        if let b = batches.next() { try run.trainStep(b) }
        let live = run.checkpoint()
        let second = snapshot.capture(live)
        // Model and optimizer tensors keep their buffers (only `progress`'s histories grow).
        #expect(Self.firstTensors(second).map(Self.address) == addresses)
        #expect(RunVerification.compare(second, reference: live).identical)
    }

    @Test func aSnapshotStillHeldIsNeverOverwritten() throws {
        let run = try Self.run()
        let snapshot = CheckpointSnapshot()
        let held = snapshot.capture(run.checkpoint())
        let before = Self.firstTensors(held).map { $0.withUnsafeBytes { Array($0) } }
        var batches = run.remainingBatches().makeIterator()
        if let b = batches.next() { try run.trainStep(b) }
        let second = snapshot.capture(run.checkpoint())
        #expect(snapshot.allocated > 0)  // the held buffers could not be reused
        #expect(Self.firstTensors(held).map { $0.withUnsafeBytes { Array($0) } } == before)
        #expect(RunVerification.compare(second, reference: run.checkpoint()).identical)
        #expect(!RunVerification.compare(second, reference: held).identical)  // the step changed the state
    }
}
