import Foundation
import Testing
@testable import Ckpt

/// Data-parallel training without MPI: the ranks are threads of this process (`ThreadRanks`),
/// each with its own `Run`, exchanging through the same `RankGroup` calls `MPIWorld` makes.
/// The reference is a single-process run of the same config; the MPI flavour's suite
/// (EndToEndTests/MPITests) repeats the end-to-end part under `mpirun`.
@Suite struct DataParallelTests {
    static func config(model: String, optimizer: String, batch: Int) -> String {
        """
        {"model": \(model),
         "data": {"dataset": "synthetic", "train_size": 50, "test_size": 16, "batch_size": \(batch)},
         "optimizer": \(optimizer), "scheduler": {"type": "StepLR", "step_size": 1, "gamma": 0.5},
         "epochs": 2}
        """
    }
    static let lenetAdam = config(model: #"{"type": "lenet"}"#, optimizer: #"{"type": "Adam", "lr": 0.01}"#, batch: 20)
    static let mlpSGD = config(model: #"{"type": "mlp", "sizes": [3072, 24, 16, 10]}"#,
                               optimizer: #"{"type": "SGD", "lr": 0.05, "momentum": 0.9}"#, batch: 16)

    /// Trains `config` on `ranks` threads from `start` (a checkpoint) or from scratch, stopping
    /// after `stopAfter` steps; returns every rank's run.
    static func trainOnRanks(_ config: String, ranks: Int, from start: String? = nil, stopAfter: Int? = nil) throws -> [Run] {
        let world = ThreadRanks(size: ranks)
        let runs = try (0..<ranks).map { _ in try start.map { try Run.restore(from: $0) } ?? Run(config: RunConfig(json: config)) }
        try world.run { rank in
            runs[rank].distribute(over: world.member(rank))
            try RunResumeTests.train(runs[rank], stopAfter: stopAfter)
        }
        return runs
    }

    /// Rank 0's gathered checkpoint (a collective call, so made on all ranks).
    static func gathered(_ runs: [Run]) throws -> [Checkpoint] {
        let world = ThreadRanks(size: runs.count)
        var out = [Checkpoint?](repeating: nil, count: runs.count)
        let lock = NSLock()
        try world.run { rank in
            runs[rank].ranks = world.member(rank)  // a new group for this exchange
            let c = try runs[rank].checkpointForSaving()
            lock.withLock { out[rank] = c }
        }
        return [out[0]!]
    }

    @Test(arguments: [(lenetAdam, 2), (lenetAdam, 3), (lenetAdam, 4), (mlpSGD, 2), (mlpSGD, 3)])
    func matchesOneProcessBitForBit(config: String, ranks: Int) throws {
        let reference = try Run(config: RunConfig(json: config))
        try RunResumeTests.train(reference)
        let runs = try Self.trainOnRanks(config, ranks: ranks)
        for (rank, c) in try Self.gathered(runs).enumerated() {
            let v = RunVerification.compare(c, reference: reference.checkpoint())
            #expect(v.identical, "rank \(rank) of \(ranks): \(v.summary)")
            #expect(v.optimizerTensors > 0)
        }
        for (rank, run) in runs.enumerated() {
            #expect(run.model.stateDict().bitwiseEqual(reference.model.stateDict()), "rank \(rank)'s parameters")
        }
        // ZeRO-1: each rank keeps only its share of the state; together they keep all of it.
        let bytes = runs.map(\.optimizerStateBytes)
        #expect(bytes.reduce(0, +) == reference.optimizerStateBytes, "\(bytes) vs \(reference.optimizerStateBytes)")
        #expect(bytes.allSatisfy { $0 < reference.optimizerStateBytes }, "\(bytes)")
    }

    /// A checkpoint written by 2 ranks resumes on 1, 2 and 3 ranks and ends where the
    /// uninterrupted single-process run ends.
    @Test(arguments: [1, 2, 3])
    func twoRankCheckpointResumesOnAnyRankCount(ranks: Int) throws {
        let config = Self.lenetAdam
        let reference = try Run(config: RunConfig(json: config))
        try RunResumeTests.train(reference)
        let dir = RunResumeTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/step-4.h5"
        let writers = try Self.trainOnRanks(config, ranks: 2, stopAfter: 4)
        let world = ThreadRanks(size: 2)
        try world.run { rank in
            writers[rank].ranks = world.member(rank)
            try writers[rank].save(to: path)  // collective: rank 0 writes
        }
        let resumed = try Self.trainOnRanks(config, ranks: ranks, from: path)
        for (rank, c) in try (ranks == 1 ? resumed.map { $0.checkpoint() } : Self.gathered(resumed)).enumerated() {
            let v = RunVerification.compare(c, reference: reference.checkpoint())
            #expect(v.identical, "resumed on \(ranks) ranks, rank \(rank): \(v.summary)")
        }
    }

    @Test func lbfgsKeepsItsWholeStateOnEveryRank() throws {
        let config = try RunConfig(json: LBFGSRunTests.configText)
        let reference = try Run(config: config)
        try RunResumeTests.train(reference)
        let runs = try Self.trainOnRanks(LBFGSRunTests.configText, ranks: 2)
        #expect(runs.allSatisfy { $0.shardPlan == nil })
        let v = RunVerification.compare(runs[1].checkpoint(), reference: reference.checkpoint())
        #expect(v.identical, "\(v.summary)")
    }
}

/// `size` threads that exchange values as MPI ranks do (every collective is an allgather).
final class ThreadRanks: @unchecked Sendable {
    let size: Int
    private let condition = NSCondition()
    private var slots: [[UInt8]?]
    private var arrived = 0, generation = 0
    private var result: [[UInt8]] = []

    init(size: Int) {
        self.size = size
        slots = Array(repeating: nil, count: size)
    }

    func member(_ rank: Int) -> Member { Member(rank: rank, world: self) }

    /// Runs `body(rank)` on `size` threads at once and rethrows the first error.
    func run(_ body: @escaping (Int) throws -> Void) throws {
        final class FirstError: @unchecked Sendable {
            let lock = NSLock()
            var error: Error?
            func record(_ e: Error) { lock.withLock { error = error ?? e } }
        }
        let done = DispatchGroup()
        let failure = FirstError()
        for rank in 0..<size {
            done.enter()
            let t = Thread {
                do { try body(rank) } catch { failure.record(error) }
                done.leave()
            }
            t.stackSize = 8 << 20
            t.start()
        }
        done.wait()
        if let e = failure.error { throw e }
    }

    fileprivate func exchange(_ rank: Int, _ bytes: [UInt8]) -> [[UInt8]] {
        condition.lock()
        defer { condition.unlock() }
        let mine = generation
        slots[rank] = bytes
        arrived += 1
        if arrived == size {
            result = slots.map { $0! }
            slots = Array(repeating: nil, count: size)
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while generation == mine { condition.wait() }
        }
        return result
    }

    final class Member: RankGroup {
        let rank: Int
        let world: ThreadRanks
        var size: Int { world.size }

        init(rank: Int, world: ThreadRanks) { (self.rank, self.world) = (rank, world) }

        func allgatherBytes(_ local: [UInt8]) throws -> [[UInt8]] { world.exchange(rank, local) }

        func allgather(_ local: UnsafeBufferPointer<Float>) throws -> [Float] {
            let parts = world.exchange(rank, Array(UnsafeRawBufferPointer(local)))
            return parts.flatMap { p in p.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } }
        }
    }
}
