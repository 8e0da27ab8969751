import CKernels
import Testing
@testable import CkptCore

/// The in-place convolution kernels (no im2col) against the column-based kernels and a float64
/// reference. Shapes: LeNet's conv1, and an odd one (OW = 11: overlapping 8-lane blocks and a
/// 3-value row tail; 7 channels: a full and a partial block of 6).
@Suite("In-place convolution kernels")
struct ConvKernelTests {
    struct Shape: CustomTestStringConvertible, Sendable {
        var c, h, w, k, o: Int
        var testDescription: String { "C\(c) \(h)x\(w) k\(k) O\(o)" }
        var oh: Int { h - k + 1 }
        var ow: Int { w - k + 1 }
        var kk: Int { c * k * k }
    }

    static let shapes = [Shape(c: 3, h: 32, w: 32, k: 5, o: 6), Shape(c: 2, h: 12, w: 13, k: 3, o: 7)]

    static func values(_ n: Int, seed: UInt64) -> [Float] {
        var r = RandomGenerator(seed: seed)
        return (0..<n).map { _ in r.uniform(-1, 1) }
    }

    @Test("forward: the same bits as im2col + ckpt_conv_forward", arguments: shapes)
    func forward(s: Shape) throws {
        try #require(ckpt_conv_weight_grad_available() != 0, "no AVX2+FMA: the kernels are not used here")
        let x = Self.values(s.c * s.h * s.w, seed: 1), w = Self.values(s.o * s.kk, seed: 2), b = Self.values(s.o, seed: 3)
        let l = s.oh * s.ow
        var col = [Float](repeating: 0, count: s.kk * l)
        var viaColumns = [Float](repeating: 0, count: s.o * l), inPlace = viaColumns
        ckpt_im2col_s1(x, Int32(s.c), Int32(s.h), Int32(s.w), Int32(s.k), Int32(s.k), &col)
        ckpt_conv_forward(w, b, col, Int32(s.o), Int32(s.kk), Int32(l), &viaColumns)
        ckpt_conv_forward_s1(x, Int32(s.c), Int32(s.h), Int32(s.w), Int32(s.k), Int32(s.k), w, b, Int32(s.o), &inPlace)
        #expect(inPlace.map(\.bitPattern) == viaColumns.map(\.bitPattern))
    }

    @Test("weight gradient: float64 reference within 1e-5, and accumulate adds", arguments: shapes)
    func weightGrad(s: Shape) throws {
        try #require(ckpt_conv_weight_grad_available() != 0, "no AVX2+FMA: the kernels are not used here")
        let x = Self.values(s.c * s.h * s.w, seed: 4), gy = Self.values(s.o * s.oh * s.ow, seed: 5)
        var gw = [Float](repeating: .nan, count: s.o * s.kk)
        ckpt_conv_weight_grad_s1(gy, x, Int32(s.c), Int32(s.h), Int32(s.w), Int32(s.k), Int32(s.k), Int32(s.o), &gw, 0)
        var worst = 0.0
        for o in 0..<s.o {
            for c in 0..<s.c { for i in 0..<s.k { for j in 0..<s.k {
                var r = 0.0
                for y in 0..<s.oh { for t in 0..<s.ow {
                    r += Double(gy[(o * s.oh + y) * s.ow + t]) * Double(x[(c * s.h + y + i) * s.w + t + j])
                } }
                let got = Double(gw[o * s.kk + (c * s.k + i) * s.k + j])
                worst = max(worst, abs(got - r) / max(1, abs(r)))
            } } }
        }
        #expect(worst <= 1e-5, "max relative error \(worst)")
        let once = gw
        ckpt_conv_weight_grad_s1(gy, x, Int32(s.c), Int32(s.h), Int32(s.w), Int32(s.k), Int32(s.k), Int32(s.o), &gw, 1)
        #expect(zip(gw, once).allSatisfy { $0 == $1 + $1 })
    }
}
