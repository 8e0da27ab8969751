import CKernels
import CkptCore
import Testing

/// `ckpt_matmul_ordered` against its definition: every C[i, j] one fmaf chain over kk in
/// ascending order from 0. The vector paths are register-blocked (AVX2: 6 x 16 tiles, k in
/// blocks of 256; AVX-512 bfloat16: 12 x 32 tiles, k in blocks of 256; n in blocks of 512), so
/// the shapes cover tile edges in every dimension, odd k, k = 0, and blocks cut in k and n.
/// bfloat16-valued inputs take the bfloat16 path where the CPU has one, other floats the AVX2
/// path, and `portable` the fmaf loop: all must give the definition's bits.
@Suite struct OrderedMatmulTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (1, 1, 0), (3, 2, 0), (1, 17, 5), (7, 1, 9), (5, 15, 3), (6, 16, 16), (7, 17, 31),
        (13, 33, 70), (70, 70, 70), (12, 48, 1), (25, 5, 257), (11, 530, 300), (64, 40, 513),
    ]

    /// Mixed magnitudes and signs so that sums cancel; bfloat16 values (as Muon's) or any floats.
    static func matrix(_ count: Int, _ g: inout RandomGenerator, bf16: Bool) -> [Float] {
        (0..<count).map { _ in
            let x = Float(g.nextDouble() * 4 - 2) * (g.nextDouble() < 0.25 ? 1e-3 : 1)
            return bf16 ? Float(bitPattern: x.bitPattern & 0xFFFF_0000) : x
        }
    }

    @Test func bitsOfTheScalarDefinition() {
        var g = RandomGenerator(seed: 11, stream: .shuffle, index: 0)
        for (m, n, k) in Self.shapes {
            for bf16 in [true, false] {
                let a = Self.matrix(m * k, &g, bf16: bf16), b = Self.matrix(k * n, &g, bf16: bf16)
                let reference = Self.definition(a, b, m, n, k).map(\.bitPattern)
                for portable: Int32 in [0, 1] {
                    var c = [Float](repeating: .nan, count: m * n)
                    a.withUnsafeBufferPointer { pa in
                        b.withUnsafeBufferPointer { pb in
                            c.withUnsafeMutableBufferPointer { pc in
                                ckpt_matmul_ordered(pa.baseAddress, pb.baseAddress, pc.baseAddress, m, n, k, portable)
                            }
                        }
                    }
                    #expect(c.map(\.bitPattern) == reference, "[\(m), \(n), \(k)] bf16 \(bf16) portable \(portable)")
                }
            }
        }
    }

    /// `ckpt_matmul_ordered_strided` on the block of rows r0.. and columns c0.. of a product:
    /// the full product's bits there, and nothing written outside the block.
    @Test func stridedBlockHasTheFullProductsBits() {
        var g = RandomGenerator(seed: 12, stream: .shuffle, index: 0)
        for (m, n, k, r0, c0) in [(45, 45, 80, 32, 32), (70, 37, 19, 5, 30), (13, 530, 300, 6, 17)] {
            for bf16 in [true, false] {
                let a = Self.matrix(m * k, &g, bf16: bf16), b = Self.matrix(k * n, &g, bf16: bf16)
                let full = Self.definition(a, b, m, n, k)
                for portable: Int32 in [0, 1] {
                    var c = [Float](repeating: .nan, count: m * n)
                    a.withUnsafeBufferPointer { pa in
                        b.withUnsafeBufferPointer { pb in
                            c.withUnsafeMutableBufferPointer { pc in
                                ckpt_matmul_ordered_strided(pa.baseAddress! + r0 * k, k, pb.baseAddress! + c0, n,
                                                            pc.baseAddress! + r0 * n + c0, n, m - r0, n - c0, k, portable)
                            }
                        }
                    }
                    let inside = (0..<(m * n)).filter { $0 / n >= r0 && $0 % n >= c0 }
                    #expect(inside.map { c[$0].bitPattern } == inside.map { full[$0].bitPattern },
                            "[\(m), \(n), \(k)] from (\(r0), \(c0)) bf16 \(bf16) portable \(portable)")
                    #expect(c.indices.filter { !inside.contains($0) }.allSatisfy { c[$0].isNaN })
                }
            }
        }
    }

    /// ckpt_matmul_bf16_exact admits bfloat16 values in range (where the CPU has the path) and
    /// refuses others; with its promise (CKPT_MATMUL_BF16_CHECKED) the product has the same bits.
    @Test func checkedBF16PromiseKeepsTheBits() {
        var g = RandomGenerator(seed: 13, stream: .shuffle, index: 0)
        let (m, n, k) = (29, 45, 77)
        let a = Self.matrix(m * k, &g, bf16: true), b = Self.matrix(k * n, &g, bf16: true)
        let admitted = ckpt_matmul_bf16_exact(a, a.count) != 0 && ckpt_matmul_bf16_exact(b, b.count) != 0
        #expect(ckpt_matmul_bf16_exact([1.5, 1.0e-20], 2) == 0)   // 1e-20 is not a bfloat16 value
        #expect(ckpt_matmul_bf16_exact([Float(bitPattern: 0x1000_0000)], 1) == 0)   // below 2^-55
        #expect(ckpt_matmul_bf16_exact([Float(bitPattern: 0x7F80_0000)], 1) == 0)   // infinity
        guard admitted else { return }   // no bfloat16 path on this CPU
        var c = [Float](repeating: .nan, count: m * n)
        ckpt_matmul_ordered_strided(a, k, b, n, &c, n, m, n, k, Int32(CKPT_MATMUL_BF16_CHECKED))
        #expect(c.map(\.bitPattern) == Self.definition(a, b, m, n, k).map(\.bitPattern))
    }

    /// The contract's scalar loop.
    static func definition(_ a: [Float], _ b: [Float], _ m: Int, _ n: Int, _ k: Int) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var acc: Float = 0
                for kk in 0..<k { acc = acc.addingProduct(a[i * k + kk], b[kk * n + j]) }
                c[i * n + j] = acc
            }
        }
        return c
    }
}
