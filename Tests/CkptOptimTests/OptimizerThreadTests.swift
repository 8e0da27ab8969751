import CkptCore
import Foundation
import Testing
@testable import CkptOptim

/// Optimizer steps on 1, 2, 3 and 4 threads give the bits of one thread: parameters and every
/// state tensor after each of several steps, for every optimizer and its kernel variants.
/// Sizes are odd (not multiples of the 8-lane vectors nor of any chunk size),
/// so chunks end inside a vector and the scalar tail runs in the middle of a tensor.
@Suite struct OptimizerThreadTests {
    /// One element, a part vector, a few vectors and a tail, and a tensor of several chunks.
    static let sizes = [1, 7, 131, 1_013, 40_009]

    static let configurations: [String] = [
        "Adam", "Adam amsgrad", "Adam L2 maximize", "AdamW",
        "SGD", "SGD momentum", "SGD nesterov", "SGD dampening wd maximize",
        "RMSprop", "RMSprop centered momentum", "RMSprop momentum", "Adagrad",
        "Adamax", "Adamax wd maximize", "NAdam", "NAdam decoupled", "RAdam", "RAdam L2 maximize",
        "Adadelta", "Adadelta wd", "ASGD", "ASGD averaging wd", "Rprop", "Rprop maximize",
    ]

    static func make(_ name: String, _ ps: [Parameter]) throws -> Optimizer {
        switch name {
        case "Adam": return try Adam(ps, lr: 1e-2)
        case "Adam amsgrad": return try Adam(ps, lr: 1e-2, amsgrad: true)
        case "Adam L2 maximize": return try Adam(ps, lr: 1e-2, weightDecay: 0.1, maximize: true)
        case "AdamW": return try AdamW(ps, lr: 1e-2, weightDecay: 0.1)
        case "SGD": return try SGD(ps, lr: 0.1)
        case "SGD momentum": return try SGD(ps, lr: 0.1, momentum: 0.9)
        case "SGD nesterov": return try SGD(ps, lr: 0.1, momentum: 0.9, nesterov: true)
        case "SGD dampening wd maximize":
            return try SGD(ps, lr: 0.1, momentum: 0.8, dampening: 0.3, weightDecay: 0.01, maximize: true)
        case "RMSprop": return try RMSprop(ps, lr: 1e-2)
        case "RMSprop centered momentum": return try RMSprop(ps, lr: 1e-2, weightDecay: 0.01, momentum: 0.9, centered: true)
        case "Adagrad": return try Adagrad(ps, lr: 0.1, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1)
        case "RMSprop momentum": return try RMSprop(ps, lr: 1e-2, momentum: 0.5)
        case "Adamax": return try Adamax(ps, lr: 1e-2)
        case "Adamax wd maximize": return try Adamax(ps, lr: 1e-2, weightDecay: 0.1, maximize: true)
        case "NAdam": return try NAdam(ps, lr: 1e-2)
        case "NAdam decoupled": return try NAdam(ps, lr: 1e-2, weightDecay: 0.1, decoupledWeightDecay: true)
        case "RAdam": return try RAdam(ps, lr: 1e-2, betas: (0.9, 0.5))      // rectified from step 2
        case "RAdam L2 maximize": return try RAdam(ps, lr: 1e-2, weightDecay: 0.1, maximize: true)
        case "Adadelta": return try Adadelta(ps)
        case "Adadelta wd": return try Adadelta(ps, lr: 0.5, rho: 0.8, weightDecay: 0.01, maximize: true)
        case "ASGD": return try ASGD(ps, lr: 0.1)
        case "ASGD averaging wd": return try ASGD(ps, lr: 0.1, t0: 1, weightDecay: 0.01)
        case "Rprop": return try Rprop(ps, lr: 1e-2)
        case "Rprop maximize": return try Rprop(ps, lr: 1e-2, etas: (0.3, 1.5), stepSizes: (1e-4, 0.05), maximize: true)
        default: throw OptimizerError(.invalidValue, "unknown configuration \(name)")
        }
    }

    /// Deterministic values of mixed sign and magnitude (no two steps alike).
    static func values(_ n: Int, seed: UInt64) -> [Float] {
        var x = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<n).map { _ in
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            let unit = Float(x >> 40) / Float(1 << 24)            // [0, 1)
            return (unit - 0.5) * Float(1 << (x & 7)) * 0.01
        }
    }

    /// Runs `steps` steps and returns, after each, every parameter's and state tensor's bits.
    static func run(_ name: String, sizes: [Int], threads: Int, chunk: Int, portable: Bool = false,
                    steps: Int = 4) throws -> [[UInt32]] {
        let ps = sizes.enumerated().map { i, n in
            Parameter(name: "p\(i)", value: Tensor(shape: [n], storage: values(n, seed: UInt64(i + 1))))
        }
        let opt = try make(name, ps)
        opt.threads = threads
        opt.splitChunk = chunk
        opt.portableKernels = portable
        var out: [[UInt32]] = []
        for t in 0..<steps {
            for (i, p) in ps.enumerated() {
                p.grad = Tensor(shape: p.shape, storage: values(p.value.count, seed: UInt64(100 * t + i + 7)))
            }
            try opt.step()
            for p in ps {
                out.append(p.value.storage.map(\.bitPattern))
                for (key, value) in opt.state[ObjectIdentifier(p)] ?? [:] {
                    if key != "step", case .tensor(let s) = value { out.append(s.floatArray().map(\.bitPattern)) }
                }
            }
        }
        return out
    }

    /// Every tensor split into chunks of 16 and of 48 elements (a 40,009-element tensor: 2,501
    /// and 834 chunks, far more than workers, claimed in a different order on every run).
    @Test(arguments: configurations, [false, true])
    func threadsGiveTheBitsOfOneThread(configuration: String, portable: Bool) throws {
        let one = try Self.run(configuration, sizes: Self.sizes, threads: 1, chunk: 16, portable: portable)
        #expect(one.count > Self.sizes.count)
        for chunk in [16, 48] {
            for threads in 2...4 {
                let many = try Self.run(configuration, sizes: Self.sizes, threads: threads, chunk: chunk, portable: portable)
                #expect(many == one, "\(configuration): \(threads) threads, chunks of \(chunk), differ from 1 thread")
            }
        }
    }

    /// With the product's own chunk size: a tensor of 4 chunks and a few elements.
    @Test(arguments: ["Adam", "AdamW", "SGD momentum", "RMSprop centered momentum", "Adagrad",
                      "Adamax", "NAdam", "RAdam", "Adadelta", "ASGD averaging wd", "Rprop"])
    func defaultChunksSplitLargeTensors(configuration: String) throws {
        let n = 4 * KernelSplit.chunkElements + 5
        let one = try Self.run(configuration, sizes: [n, 3], threads: 1, chunk: KernelSplit.chunkElements, steps: 3)
        for threads in 2...4 {
            let many = try Self.run(configuration, sizes: [n, 3], threads: threads, chunk: KernelSplit.chunkElements, steps: 3)
            #expect(many == one, "\(configuration): \(threads) threads differ from 1")
        }
    }

    /// The chunks cover every element once, in pieces fixed by `n` and the chunk size alone; a
    /// tensor of one chunk runs whole on the calling thread.
    @Test func chunksCoverEveryElementOnce() {
        for n in [0, 1, 15, 16, 17, 1_013, 65_535, 65_536, 65_537, 262_149] {
            for threads in 1...5 {
                for chunk in [16, 48, KernelSplit.chunkElements] {
                    var seen = [UInt8](repeating: 0, count: n)
                    var pieces: [Range<Int>] = []
                    let lock = NSLock()
                    seen.withUnsafeMutableBufferPointer { s in
                        KernelSplit.forEachChunk(n, threads: threads, chunk: chunk) { start, count in
                            for i in start..<(start + count) { s[i] += 1 }
                            lock.withLock { pieces.append(start..<(start + count)) }
                        }
                    }
                    #expect(seen.allSatisfy { $0 == 1 }, "n \(n) threads \(threads) chunk \(chunk)")
                    let chunks = (n + chunk - 1) / chunk
                    if threads == 1 || chunks <= 1 {
                        #expect(pieces == [0..<n])
                    } else {
                        let expected = (0..<chunks).map { $0 * chunk..<min(n, ($0 + 1) * chunk) }
                        #expect(pieces.sorted { $0.lowerBound < $1.lowerBound } == expected)
                    }
                }
            }
        }
    }
}
