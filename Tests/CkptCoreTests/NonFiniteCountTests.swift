import Testing
@testable import CkptCore

/// `NonFiniteCount` against Swift's own `isNaN` / `isInfinite` over every special pattern and
/// lengths that leave a tail after the vectorised blocks.
@Suite struct NonFiniteCountTests {
    @Test func float32CountsNaNAndInfinityApart() {
        let payloadNaN = Float(bitPattern: 0x7fc0_1234), signalingNaN = Float(bitPattern: 0x7f80_0001)
        let values: [Float] = [0, -0.0, 1, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude,
                               .nan, -.nan, payloadNaN, signalingNaN, .infinity, -.infinity]
        let c = Tensor(shape: [values.count], storage: values).nonFiniteCount
        #expect(c == NonFiniteCount(nan: values.filter(\.isNaN).count, infinite: values.filter(\.isInfinite).count))
        #expect(c == NonFiniteCount(nan: 4, infinite: 2))
        #expect(c.description == "4 NaN and 2 infinite values")
    }

    @Test(arguments: [0, 1, 7, 8, 9, 63, 1000])
    func everyPositionIsSeen(count: Int) {
        for at in Set([0, count / 2, count - 1]) where count > 0 {
            var v = [Double](repeating: 1.5, count: count)
            v[at] = .infinity
            #expect(TensorData(shape: [count], storage: .float64(v)).nonFiniteCount == NonFiniteCount(infinite: 1), "\(at)")
        }
        #expect(TensorData(shape: [count], storage: .float64(Array(repeating: 2, count: count))).nonFiniteCount.isZero)
    }

    @Test func float16BitPatterns() {
        // 0x7c00 +inf, 0xfc00 -inf, 0x7e00 NaN, 0x7bff max finite, 0x0001 smallest subnormal.
        let bits: [UInt16] = [0x7c00, 0xfc00, 0x7e00, 0xfe01, 0x7bff, 0x0001, 0x3c00]
        #expect(TensorData(shape: [bits.count], storage: .float16(bits)).nonFiniteCount == NonFiniteCount(nan: 2, infinite: 2))
    }

    @Test func integersAndBooleansCountZero() {
        #expect(TensorData(shape: [3], storage: .int32([-1, Int32.max, Int32.min])).nonFiniteCount.isZero)
        #expect(TensorData(shape: [2], storage: .uint8([0xff, 0x7f])).nonFiniteCount.isZero)
        #expect(TensorData(shape: [1], storage: .int64([0x7ff0_0000_0000_0000])).nonFiniteCount.isZero)
    }

    @Test func unalignedBytes() {
        let values: [Float] = [1, .nan, 2, .infinity, 3]
        var raw = [UInt8](repeating: 0, count: 1)
        values.withUnsafeBytes { raw += $0 }
        let c = raw.withUnsafeBytes { NonFiniteCount(bytes: UnsafeRawBufferPointer(rebasing: $0.dropFirst()), dtype: .float32) }
        #expect(c == NonFiniteCount(nan: 1, infinite: 1))
        #expect(c.description == "1 NaN and 1 infinite value")
    }
}
