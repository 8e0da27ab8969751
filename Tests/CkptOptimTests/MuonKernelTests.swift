import CKernels
import CkptCore
import Testing
@testable import CkptOptim

/// Muon's element-wise C passes (muon_kernels.h) against the Swift loops they replaced, bit
/// for bit, on the FMA and portable paths, with `out` apart from, equal to `p` and equal to `q`
/// (each aliasing case is its own vector loop), on a length that leaves vector tails.
@Suite struct MuonKernelTests {
    @Test func fmaScaledMatchesTheSwiftLoop() {
        var g = RandomGenerator(seed: 5, stream: .shuffle, index: 0)
        let n = 1_037
        let p = (0..<n).map { _ in Float(g.nextDouble() * 4 - 2) }, q = (0..<n).map { _ in Float(g.nextDouble() - 0.5) }
        let s: Float = -4.775, t: Float = 2.0315
        for bf16: Int32 in [0, 1] {
            let want = (0..<n).map { i -> UInt32 in
                let r = TorchOps.fma(s, p[i], q[i] * t)
                return (bf16 == 1 ? NewtonSchulz.bf16(r) : r).bitPattern
            }
            for portable: Int32 in [0, 1] {
                var apart = [Float](repeating: 0, count: n), intoP = p, intoQ = q
                ckpt_muon_fma_scaled(p, q, &apart, n, s, t, bf16, portable)
                intoP.withUnsafeMutableBufferPointer { x in ckpt_muon_fma_scaled(x.baseAddress, q, x.baseAddress, n, s, t, bf16, portable) }
                intoQ.withUnsafeMutableBufferPointer { x in ckpt_muon_fma_scaled(p, x.baseAddress, x.baseAddress, n, s, t, bf16, portable) }
                for (name, got) in [("apart", apart), ("out = p", intoP), ("out = q", intoQ)] {
                    #expect(got.map(\.bitPattern) == want, "\(name), bf16 \(bf16), portable \(portable)")
                }
            }
        }
    }

    @Test(arguments: [(1, 1), (3, 70), (70, 3), (17, 33), (256, 24)])
    func transposeMovesEveryElement(rows: Int, cols: Int) {
        let x = (0..<(rows * cols)).map(Float.init)
        let t = NewtonSchulz.transpose(x, rows, cols)
        #expect(t == (0..<(rows * cols)).map { x[($0 % rows) * cols + $0 / rows] })
    }

    @Test func sumOfSquaresAndRoundingMatchTheSwiftLoops() {
        var g = RandomGenerator(seed: 6, stream: .shuffle, index: 0)
        let x = (0..<1_037).map { _ in Float(g.nextDouble() - 0.5) } + [.nan, .infinity, -0.0]
        var sum: Float = 0
        for v in x.prefix(1_037) { sum = TorchOps.fma(v, v, sum) }
        for portable: Int32 in [0, 1] {
            #expect(ckpt_muon_sum_squares(x, 1_037, portable).bitPattern == sum.bitPattern)
        }
        var rounded = x
        ckpt_muon_div_bf16(&rounded, x.count, 3)
        #expect(rounded.map(\.bitPattern) == x.map { NewtonSchulz.bf16($0 / 3).bitPattern })
    }
}
