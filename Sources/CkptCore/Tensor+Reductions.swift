/// Sum of `n` floats in a fixed order that the compiler can vectorise: eight interleaved
/// partial sums (element i goes to lane i % 8), then the lanes pairwise, then the tail.
/// Deterministic: the order depends only on `n`. The index arithmetic wraps (`&+`) instead of
/// being overflow-checked: `i` never exceeds `n`, a buffer's length, and the checks cost
/// measurably in Conv2d's bias gradient (callgrind, bench-train).
@inline(__always)
func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    var i = 0
    while i &+ 8 <= n {
        acc += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        i &+= 8
    }
    let a4 = acc.lowHalf + acc.highHalf
    let a2 = a4.lowHalf + a4.highHalf
    var s = a2[0] + a2[1]
    while i < n { s += x[i]; i &+= 1 }
    return s
}

extension Tensor {
    /// The sum of all elements (fixed order, see `sum(_:_:)`).
    public func sum() -> Float {
        storage.withUnsafeBufferPointer { CkptCore.sum($0.baseAddress!, $0.count) }
    }

    /// The index of the largest element of each row of a `[N, C]` tensor (first on ties).
    public func argmaxRows() -> [Int] {
        let c = shape.last ?? 1
        guard c > 0 else { return [] }
        return (0..<(count / c)).map { r in
            var best = 0
            for j in 1..<c where storage[r * c + j] > storage[r * c + best] { best = j }
            return best
        }
    }

    /// The same elements with a new shape of equal element count, or nil.
    public func reshaped(_ newShape: [Int]) -> Tensor? {
        newShape.reduce(1, *) == count ? Tensor(shape: newShape, storage: storage) : nil
    }
}

/// dst[i] += src[i] for i < n (Conv2d adds its per-chunk weight gradients), elementwise so the order is irrelevant.
@inline(__always)
func addInPlace(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0  // wrapping index arithmetic, as in sum(_:_:)
    while i &+ 8 <= n {
        let a = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self)
        let b = UnsafeRawPointer(dst + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(dst + i).storeBytes(of: a + b, as: SIMD8<Float>.self)
        i &+= 8
    }
    while i < n { dst[i] += src[i]; i &+= 1 }
}
