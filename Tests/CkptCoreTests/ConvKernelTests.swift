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
        ckpt_im2col_s1(x, Int32(s.c), Int32(s.h), Int32(s.w), Int32(s.k), Int32(s.k), &col, l)
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

/// Conv2d's three paths (picked from the shapes) against a float64 reference convolution, each
/// on a batch of 10 (two chunks) with 2 workers and 3 output channels: in place (20x20, stride 1:
/// 16x16 = 256 outputs per channel), direct over columns (18x18 with padding 1: again 256) and
/// sgemm over a chunk's columns (16x16, stride 2, padding 1: 7x7).
@Suite("Conv2d paths against float64")
struct ConvPathTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var h: Int, stride: Int, padding: Int, name: String
        var testDescription: String { name }
    }

    @Test(arguments: [Case(h: 20, stride: 1, padding: 0, name: "in place"),
                      Case(h: 18, stride: 1, padding: 1, name: "direct over columns"),
                      Case(h: 16, stride: 2, padding: 1, name: "sgemm over the chunk")])
    func againstReference(c: Case) throws {
        let saved = Compute.threads
        Compute.threads = 2
        defer { Compute.threads = saved }
        let (n, ci, co, k) = (10, 2, 3, 5)
        var g = RandomGenerator(seed: 3)
        let conv = Conv2d(ci, co, kernelSize: k, stride: c.stride, padding: c.padding, generator: &g)
        let x = Tensor(shape: [n, ci, c.h, c.h], storage: ConvKernelTests.values(n * ci * c.h * c.h, seed: 6))
        let y = try conv.forward(x)
        let (oh, ow) = (y.shape[2], y.shape[3])
        let gy = Tensor(shape: y.shape, storage: ConvKernelTests.values(y.count, seed: 7))
        let gx = try conv.backward(input: x, gradOutput: gy)
        let w = conv.weight.value.storage, b = conv.bias!.value.storage
        var refY = [Double](repeating: 0, count: y.count), refGx = [Double](repeating: 0, count: x.count)
        var refGw = [Double](repeating: 0, count: w.count)
        for s in 0..<n { for o in 0..<co { for oy in 0..<oh { for ox in 0..<ow {
            let yi = ((s * co + o) * oh + oy) * ow + ox
            var acc = Double(b[o])
            for cc in 0..<ci { for i in 0..<k { for j in 0..<k {
                let iy = oy * c.stride - c.padding + i, ix = ox * c.stride - c.padding + j
                guard iy >= 0, iy < c.h, ix >= 0, ix < c.h else { continue }
                let xi = ((s * ci + cc) * c.h + iy) * c.h + ix, wi = ((o * ci + cc) * k + i) * k + j
                acc += Double(w[wi]) * Double(x.storage[xi])
                refGw[wi] += Double(gy.storage[yi]) * Double(x.storage[xi])
                refGx[xi] += Double(gy.storage[yi]) * Double(w[wi])
            } } }
            refY[yi] = acc
        } } } }
        func worst(_ a: [Float], _ r: [Double]) -> Double {
            zip(a, r).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? 0
        }
        #expect(worst(y.storage, refY) <= 1e-5)
        #expect(worst(try #require(conv.weight.grad).storage, refGw) <= 1e-5)
        #expect(worst(gx.storage, refGx) <= 1e-5)
    }
}
