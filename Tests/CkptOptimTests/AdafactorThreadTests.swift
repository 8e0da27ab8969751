import CkptCore
import Foundation
import Testing
@testable import CkptOptim

/// Adafactor's C passes (adafactor_kernels.h) on tensors larger than one 64 Ki chunk and one
/// tile: the bits are the same on 1, 2 and 3 threads and on the FMA and portable paths, and
/// the values stay within a relative 1e-6 of the all-Swift step they replaced (sequential
/// double sums), whose order the golden tests' small tensors cannot tell apart.
@Suite struct AdafactorThreadTests {
    /// A matrix of three row blocks (150,000 elements, width 500 < one tile), one of two
    /// column segments (1,500 columns > 1,024), a 3-D parameter and a vector of two chunks,
    /// all of sizes that end chunks and rows inside 8-lane vectors.
    static let shapes: [[Int]] = [[300, 500], [70, 1_501], [3, 131, 201], [70_001], [5]]

    static let configurations: [String] = ["default", "wd maximize eps1", "clipping"]

    static func make(_ name: String, _ ps: [Parameter]) throws -> Adafactor {
        switch name {
        case "wd maximize eps1": return try Adafactor(ps, lr: 0.05, eps1: 1e-30, weightDecay: 1e-2, maximize: true)
        case "clipping": return try Adafactor(ps, lr: 0.02, d: 2.0)
        default: return try Adafactor(ps)
        }
    }

    static func parameters() -> [Parameter] {
        shapes.enumerated().map { i, shape in
            let n = shape.reduce(1, *)
            return Parameter(name: "p\(i)", value: Tensor(shape: shape, storage: OptimizerThreadTests.values(n, seed: UInt64(i + 1))))
        }
    }

    static func setGrads(_ ps: [Parameter], step t: Int) {
        for (i, p) in ps.enumerated() {
            p.grad = Tensor(shape: p.shape, storage: OptimizerThreadTests.values(p.value.count, seed: UInt64(100 * t + i + 7)))
        }
    }

    /// The bits of every parameter and state tensor after each of `steps` steps.
    static func run(_ name: String, threads: Int, portable: Bool, steps: Int = 3) throws -> [[UInt32]] {
        let ps = parameters()
        let opt = try make(name, ps)
        opt.threads = threads
        opt.portableKernels = portable
        var out: [[UInt32]] = []
        for t in 0..<steps {
            setGrads(ps, step: t)
            try opt.step()
            for p in ps {
                out.append(p.value.storage.map(\.bitPattern))
                for key in ["row_var", "col_var", "variance"] {
                    if case .tensor(let s)? = opt.state[ObjectIdentifier(p)]?[key] { out.append(s.floatArray().map(\.bitPattern)) }
                }
            }
        }
        return out
    }

    @Test(arguments: configurations)
    func threadsAndPathsGiveTheSameBits(configuration: String) throws {
        let one = try Self.run(configuration, threads: 1, portable: false)
        #expect(one.count == 3 * (Self.shapes.count + 3 * 2 + 2))
        for threads in 2...3 {
            #expect(try Self.run(configuration, threads: threads, portable: false) == one,
                    "\(configuration): \(threads) threads differ from 1")
        }
        for threads in 1...3 {
            #expect(try Self.run(configuration, threads: threads, portable: true) == one,
                    "\(configuration): portable path on \(threads) threads differs from FMA on 1")
        }
    }

    /// Against the step as it was written in Swift before the kernels (sequential double sums,
    /// `update` materialised): a relative 1e-6 of each element's scale after 3 steps.
    @Test(arguments: configurations)
    func matchesTheSequentialSwiftStep(configuration: String) throws {
        let ps = Self.parameters(), refs = Self.parameters()
        let opt = try Self.make(configuration, ps)
        opt.threads = 2
        let hyper = opt.paramGroups[0]
        let lr = hyper["lr"]!.doubleValue!, d = hyper["d"]!.doubleValue!, wd = hyper["weight_decay"]!.doubleValue!
        let maximize = hyper["maximize"] == .bool(true)
        let eps = hyper["eps"]!.arrayValue!
        var state: [[String: [Float]]] = refs.map { p in
            p.shape.count > 1
                ? ["row_var": [Float](repeating: 0, count: p.value.count / p.shape.last!),
                   "col_var": [Float](repeating: 0, count: p.value.count / p.shape[p.shape.count - 2])]
                : ["variance": [Float](repeating: 0, count: p.value.count)]
        }
        for t in 0..<3 {
            Self.setGrads(ps, step: t)
            Self.setGrads(refs, step: t)
            try opt.step()
            for (i, p) in refs.enumerated() {
                Self.referenceStep(p, &state[i], step: Double(t + 1), lr: lr, d: d, wd: wd, maximize: maximize,
                                   eps1: eps[0].doubleValue ?? Double(Float.ulpOfOne), eps2: eps[1].doubleValue!)
            }
        }
        for (a, b) in zip(ps, refs) {
            for (x, y) in zip(a.value.storage, b.value.storage) {
                #expect((x - y).magnitude <= 1e-6 * max(y.magnitude, 1e-3), "\(configuration) \(a.shape): \(x) vs \(y)")
            }
        }
    }

    /// The all-Swift step (the code the kernels replaced), beta2_decay -0.8.
    static func referenceStep(_ p: Parameter, _ s: inout [String: [Float]], step: Double, lr: Double, d: Double,
                              wd: Double, maximize: Bool, eps1: Double, eps2: Double) {
        let g = maximize ? p.grad!.storage.map { -$0 } : p.grad!.storage
        let factored = p.shape.count > 1
        let (rows, cols) = factored ? (p.shape[p.shape.count - 2], p.shape[p.shape.count - 1]) : (1, g.count)
        let batches = factored ? g.count / (rows * cols) : 1
        func norm(_ x: [Float]) -> Float { Float(x.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()) }
        let beta2T = Float(Foundation.pow(step, -0.8)), rho = min(lr, 1 / Foundation.pow(step, 0.5))
        let numelSqrt = Foundation.pow(Double(g.count), 0.5)
        let alpha = max(eps2, Double(norm(p.value.storage)) / numelSqrt) * rho
        if wd != 0 { p.value.storage = p.value.storage.map { $0 * Float(1 - lr * wd) } }
        let floor = Float(eps1 * eps1)
        var update = [Float](repeating: 0, count: g.count)
        if factored {
            var rowVar = s["row_var"]!, colVar = s["col_var"]!
            for b in 0..<batches {
                let base = b * rows * cols
                for r in 0..<rows {
                    let n = norm(Array(g[(base + r * cols)..<(base + (r + 1) * cols)]))
                    rowVar[b * rows + r] = TorchOps.lerp(rowVar[b * rows + r], n * n / Float(cols), beta2T)
                }
                for c in 0..<cols {
                    let n = norm((0..<rows).map { g[base + $0 * cols + c] })
                    colVar[b * cols + c] = TorchOps.lerp(colVar[b * cols + c], n * n / Float(rows), beta2T)
                }
                let rowSum = (0..<rows).reduce(0.0) { $0 + Double(rowVar[b * rows + $1]) }
                let rowMean = max(Float(rowSum / Double(rows)), Float(eps1))
                for r in 0..<rows {
                    for c in 0..<cols {
                        let est = rowVar[b * rows + r] * colVar[b * cols + c] / rowMean
                        update[base + r * cols + c] = (1 / max(est, floor).squareRoot()) * g[base + r * cols + c]
                    }
                }
            }
            s["row_var"] = rowVar
            s["col_var"] = colVar
        } else {
            var variance = s["variance"]!
            for i in g.indices {
                variance[i] = TorchOps.lerp(variance[i], g[i] * g[i], beta2T)
                update[i] = (1 / max(variance[i], floor).squareRoot()) * g[i]
            }
            s["variance"] = variance
        }
        let denom: Double = max(1.0, Double(norm(update)) / (numelSqrt * d))
        let scale = Float(-alpha / denom)
        for i in update.indices { p.value.storage[i] = TorchOps.fma(update[i], scale, p.value.storage[i]) }
    }
}
