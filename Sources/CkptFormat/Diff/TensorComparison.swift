#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CkptCore

/// The element-wise comparison of two tensors of the same shape (their dtypes may differ).
///
/// `a` is the first tensor, `b` the reference: relative differences are `|a - b| / |b|`, as in
/// numpy's `isclose`. NaN against NaN at the same position is equal; NaN against a number is a
/// NaN mismatch; an infinity against anything but the same infinity is an Inf mismatch. Both
/// kinds of mismatch count among `differing`, and neither enters `maxAbs` / `maxRel`, which
/// are taken over positions where both values are finite.
public struct TensorDifference: Sendable, Equatable {
    /// Elements compared (the product of the shape).
    public var count: Int = 0
    /// Elements that are not close under the tolerance (NaN and Inf mismatches included).
    public var differing: Int = 0
    /// Largest `|a - b|` over positions where both are finite (0 when none differ).
    public var maxAbs: Double = 0
    /// Largest `|a - b| / |b|` over positions where both are finite; `inf` where `b == 0 != a`.
    public var maxRel: Double = 0
    /// Positions where exactly one side is NaN.
    public var nanMismatches: Int = 0
    /// Positions where the sides are not the same infinity and at least one is infinite
    /// (and neither is NaN).
    public var infMismatches: Int = 0
    /// Flat (row-major) index of the first differing element, with both values.
    public var first: (index: Int, a: Double, b: Double)? = nil

    public var isClose: Bool { differing == 0 }

    public static func == (l: Self, r: Self) -> Bool {
        l.count == r.count && l.differing == r.differing && l.maxAbs == r.maxAbs
            && l.maxRel == r.maxRel && l.nanMismatches == r.nanMismatches
            && l.infMismatches == r.infMismatches && l.first?.index == r.first?.index
    }
}

/// Element-wise comparison of two `TensorData`s in one pass over their buffers, with no
/// allocation per element: a loop specialised per dtype skips equal stored values, and only
/// unequal ones are converted to double and measured.
public enum TensorComparison {
    /// Compares `a` with the reference `b`, or returns `nil` when their shapes differ (nothing
    /// can be compared element by element). Dtypes may differ: values compare as doubles.
    public static func compare(_ a: TensorData, _ b: TensorData, tolerance: Tolerance = .exact) -> TensorDifference? {
        guard a.shape == b.shape else { return nil }
        return a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in compare(x, a.dtype, y, b.dtype, count: a.count, tolerance: tolerance) }
        }
    }

    /// The same comparison over raw little-endian element bytes (`count` elements each; what
    /// a streaming reader hands over without building arrays). Bool bytes must be 0 or 1.
    public static func compare(_ a: UnsafeRawBufferPointer, _ typeA: DType, _ b: UnsafeRawBufferPointer, _ typeB: DType,
                               count: Int, tolerance: Tolerance = .exact) -> TensorDifference {
        precondition(a.count >= count * typeA.size && b.count >= count * typeB.size, "buffers shorter than \(count) elements")
        func view<T>(_ r: UnsafeRawBufferPointer, _: T.Type) -> UnsafeBufferPointer<T> {
            UnsafeBufferPointer(start: r.baseAddress?.assumingMemoryBound(to: T.self), count: count)
        }
        guard typeA == typeB else {
            // Different dtypes: rare, compared as doubles (one conversion per tensor).
            let x = doubles(a, typeA, count: count), y = doubles(b, typeB, count: count)
            return x.withUnsafeBufferPointer { p in y.withUnsafeBufferPointer { q in scanSameType(p, q, tolerance) } }
        }
        // Concrete types, so each loop is specialised for its element type.
        switch typeA {
        case .float32: return scanSameType(view(a, Float.self), view(b, Float.self), tolerance)
        case .float64: return scanSameType(view(a, Double.self), view(b, Double.self), tolerance)
        case .float16: return scanSameType(view(a, UInt16.self), view(b, UInt16.self), tolerance)
        case .bfloat16: return scanSameType(view(a, BFloat16Bits.self), view(b, BFloat16Bits.self), tolerance)
        case .int64: return scanSameType(view(a, Int64.self), view(b, Int64.self), tolerance)
        case .int32: return scanSameType(view(a, Int32.self), view(b, Int32.self), tolerance)
        case .int16: return scanSameType(view(a, Int16.self), view(b, Int16.self), tolerance)
        case .int8: return scanSameType(view(a, Int8.self), view(b, Int8.self), tolerance)
        case .uint8: return scanSameType(view(a, UInt8.self), view(b, UInt8.self), tolerance)
        case .bool: return scanSameType(view(a, Bool.self), view(b, Bool.self), tolerance)
        }
    }

    /// Element `i` of raw element bytes of `dtype`, as `TensorData.element(at:)` gives it.
    public static func element(_ r: UnsafeRawBufferPointer, _ dtype: DType, at i: Int) -> StateValue {
        let at = i * dtype.size
        switch dtype {
        case .float32: return .double(Double(r.loadUnaligned(fromByteOffset: at, as: Float.self)))
        case .float64: return .double(r.loadUnaligned(fromByteOffset: at, as: Double.self))
        case .float16: return .double(Double(float16Bits: r.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
        case .bfloat16: return .double(Double(Float(bfloat16Bits: r.loadUnaligned(fromByteOffset: at, as: UInt16.self))))
        case .int64: return .int(r.loadUnaligned(fromByteOffset: at, as: Int64.self))
        case .int32: return .int(Int64(r.loadUnaligned(fromByteOffset: at, as: Int32.self)))
        case .int16: return .int(Int64(r.loadUnaligned(fromByteOffset: at, as: Int16.self)))
        case .int8: return .int(Int64(r.loadUnaligned(fromByteOffset: at, as: Int8.self)))
        case .uint8: return .int(Int64(r[at]))
        case .bool: return .bool(r[at] != 0)
        }
    }

    /// `count` elements of raw bytes of `dtype` as doubles.
    static func doubles(_ r: UnsafeRawBufferPointer, _ dtype: DType, count: Int) -> [Double] {
        (0..<count).map { i in
            switch element(r, dtype, at: i) {
            case .double(let d): d
            case .int(let n): Double(n)
            case .bool(let b): b ? 1 : 0
            default: .nan
            }
        }
    }
}

/// An element type the comparison loops read as a double. `UInt16` stands for float16 bits.
protocol TensorComparisonElement: Equatable {
    var comparisonValue: Double { get }
}

extension Float: TensorComparisonElement { var comparisonValue: Double { Double(self) } }
extension Double: TensorComparisonElement { var comparisonValue: Double { self } }
extension Int64: TensorComparisonElement { var comparisonValue: Double { Double(self) } }
extension Int32: TensorComparisonElement { var comparisonValue: Double { Double(self) } }
extension Int16: TensorComparisonElement { var comparisonValue: Double { Double(self) } }
extension Int8: TensorComparisonElement { var comparisonValue: Double { Double(self) } }
extension UInt8: TensorComparisonElement { var comparisonValue: Double { Double(self) } }
extension Bool: TensorComparisonElement { var comparisonValue: Double { self ? 1 : 0 } }
extension UInt16: TensorComparisonElement {
    /// IEEE binary16 bits to double (exact).
    var comparisonValue: Double { Double(float16Bits: self) }
}

/// A bfloat16 bit pattern, laid out as the `UInt16` it wraps: equal when the bits are equal
/// (as float16's `UInt16`), compared as the float32 it stands for.
struct BFloat16Bits: TensorComparisonElement {
    var bits: UInt16
    var comparisonValue: Double { Double(Float(bfloat16Bits: bits)) }
}

extension TensorData {
    /// Every element as a double, row-major (float16 and bfloat16 exactly, from their bits).
    public var doubleElements: [Double] {
        switch storage {
        case .float32(let x): x.map(Double.init)
        case .float64(let x): x
        case .float16(let x): x.map { Double(float16Bits: $0) }
        case .bfloat16(let x): x.map { Double(Float(bfloat16Bits: $0)) }
        case .int64(let x): x.map(Double.init)
        case .int32(let x): x.map(Double.init)
        case .int16(let x): x.map(Double.init)
        case .int8(let x): x.map(Double.init)
        case .uint8(let x): x.map(Double.init)
        case .bool(let x): x.map { $0 ? 1 : 0 }
        }
    }
}

extension Double {
    /// The value of IEEE binary16 bit pattern `bits`, exactly (NaN payloads are not kept).
    fileprivate init(float16Bits bits: UInt16) {
        let sign: Double = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = Double(bits & 0x3FF)
        switch exponent {
        case 0: self = sign * mantissa * 0x1p-24
        case 0x1F: self = mantissa == 0 ? sign * .infinity : .nan
        default: self = sign * (1 + mantissa / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }
}

/// Accumulates one pair of values known to be unequal as stored.
@inline(__always)
private func record(_ x: Double, _ y: Double, _ i: Int, _ t: Tolerance, _ r: inout TensorDifference) {
    let xn = x.isNaN, yn = y.isNaN
    if xn || yn {
        if xn && yn { return }
        r.nanMismatches += 1
        r.differing += 1
        if r.first == nil { r.first = (i, x, y) }
        return
    }
    if x == y { return }  // 0.0 vs -0.0, or int64 values equal as doubles
    if x.isInfinite || y.isInfinite {
        r.infMismatches += 1
        r.differing += 1
        if r.first == nil { r.first = (i, x, y) }
        return
    }
    let d = abs(x - y)
    let rel = d / abs(y)  // inf when y == 0
    if d > r.maxAbs { r.maxAbs = d }
    if rel > r.maxRel { r.maxRel = rel }
    if !(d <= t.atol + t.rtol * abs(y)) {
        r.differing += 1
        if r.first == nil { r.first = (i, x, y) }
    }
}

/// Same element type: equal stored values skip the double conversion entirely.
private func scanSameType<T: TensorComparisonElement>(
    _ a: UnsafeBufferPointer<T>, _ b: UnsafeBufferPointer<T>, _ t: Tolerance
) -> TensorDifference {
    var r = TensorDifference()
    r.count = a.count
    guard let pa = a.baseAddress, let pb = b.baseAddress else { return r }
    // Blocks with equal bytes hold equal values (NaNs included): memcmp skips them at memory
    // speed, so checkpoints that mostly agree are compared as fast as they are read.
    let block = 1024
    var start = 0
    while start < a.count {
        let end = min(start + block, a.count)
        defer { start = end }
        if memcmp(pa + start, pb + start, (end - start) * MemoryLayout<T>.stride) == 0 { continue }
        for i in start..<end where a[i] != b[i] {
            let x = a[i].comparisonValue, y = b[i].comparisonValue
            if x == y, t.isExact, !x.isNaN {
                // Distinct int64 values that round to the same double, or 0.0 vs -0.0.
                if T.self == Int64.self {
                    r.differing += 1
                    if r.first == nil { r.first = (i, x, y) }
                }
                continue
            }
            record(x, y, i, t, &r)
        }
    }
    return r
}
