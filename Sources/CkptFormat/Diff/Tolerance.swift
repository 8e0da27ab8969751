/// How close two elements must be to count as equal, combined as numpy's `isclose`:
/// `|a - b| <= atol + rtol * |b|`, where `b` is the second (reference) value.
///
/// The default (`atol = 0`, `rtol = 0`) is exact comparison by value: `0.0 == -0.0`, and
/// NaN equals NaN at the same position (numpy's `equal_nan=True`). Infinities are close only
/// to the same infinity, whatever the tolerance.
public struct Tolerance: Sendable, Equatable {
    public var atol: Double
    public var rtol: Double
    /// Compare bit patterns, not values: `-0.0 != 0.0`, NaNs equal only with the same bits.
    /// What `resume --verify` means by bit-identical.
    public var bitwise: Bool

    public init(atol: Double = 0, rtol: Double = 0) {
        self.atol = atol
        self.rtol = rtol
        self.bitwise = false
    }

    /// Exact comparison by value.
    public static let exact = Tolerance()

    /// Exact comparison of bits.
    public static let bitwise: Tolerance = {
        var t = Tolerance()
        t.bitwise = true
        return t
    }()

    public var isExact: Bool { atol == 0 && rtol == 0 }

    /// Whether `a` is close to the reference `b`, as `numpy.isclose(a, b, equal_nan=True)`.
    @inline(__always)
    public func isClose(_ a: Double, _ b: Double) -> Bool {
        if bitwise { return a.bitPattern == b.bitPattern }
        if a == b { return true }
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a.isInfinite || b.isInfinite { return false }
        return abs(a - b) <= atol + rtol * abs(b)
    }
}
