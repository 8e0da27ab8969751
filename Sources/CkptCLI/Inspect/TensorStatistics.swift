import CkptCore
import CkptFormat

/// Summary statistics of a tensor's elements, computed in double precision in element order
/// (so the same tensor always gives the same bits).
///
/// `min`, `max`, `mean` and `std` are over the finite elements; `std` is PyTorch's default
/// `torch.std` (unbiased, correction = 1), NaN for fewer than two finite elements. NaN and
/// ±Inf elements are counted, not included. All are NaN when no element is finite.
struct TensorStatistics: Equatable {
    var count: Int
    var min: Double
    var max: Double
    var mean: Double
    var std: Double
    var nanCount: Int
    var infCount: Int

    init(_ t: TensorData) {
        self = t.withUnsafeBytes { TensorStatistics(bytes: $0, dtype: t.dtype, count: t.count) }
    }

    /// From `count` raw little-endian elements of `dtype` (a streamed tensor's bytes).
    init(bytes r: UnsafeRawBufferPointer, dtype: DType, count: Int) {
        func view<T>(_: T.Type) -> UnsafeBufferPointer<T> {
            UnsafeBufferPointer(start: r.baseAddress?.assumingMemoryBound(to: T.self), count: count)
        }
        switch dtype {
        case .float32: self.init(view(Float.self), Double.init)
        case .float64: self.init(view(Double.self), { $0 })
        case .int64: self.init(view(Int64.self), Double.init)
        case .int32: self.init(view(Int32.self), Double.init)
        case .int16: self.init(view(Int16.self), Double.init)
        case .int8: self.init(view(Int8.self), Double.init)
        case .bfloat16: self.init(view(UInt16.self), { Double(Float(bfloat16Bits: $0)) })
        case .uint8: self.init(view(UInt8.self), Double.init)
        case .bool: self.init(view(UInt8.self), { $0 != 0 ? 1 : 0 })
        case .float16:
            let values = (0..<count).map { TensorComparison.element(r, .float16, at: $0).doubleValue ?? .nan }
            self = values.withUnsafeBufferPointer { TensorStatistics($0, { $0 }) }
        }
    }

    /// Two passes over `values` (sum, then squared deviations from the mean), no copies.
    private init<T>(_ values: UnsafeBufferPointer<T>, _ toDouble: (T) -> Double) {
        count = values.count
        var lo = Double.infinity, hi = -Double.infinity, sum = 0.0, n = 0, nans = 0, infs = 0
        for e in values {
            let v = toDouble(e)
            if v.isNaN { nans += 1; continue }
            if v.isInfinite { infs += 1; continue }
            n += 1
            sum += v
            if v < lo { lo = v }
            if v > hi { hi = v }
        }
        nanCount = nans
        infCount = infs
        guard n > 0 else { min = .nan; max = .nan; mean = .nan; std = .nan; return }
        min = lo
        max = hi
        let m = sum / Double(n)
        mean = m
        var squares = 0.0
        for e in values {
            let v = toDouble(e)
            if v.isFinite { squares += (v - m) * (v - m) }
        }
        std = n > 1 ? (squares / Double(n - 1)).squareRoot() : .nan
    }

    var json: StateValue {
        .dict(["min": .double(min), "max": .double(max), "mean": .double(mean), "std": .double(std),
               "nan": .int(Int64(nanCount)), "inf": .int(Int64(infCount))])
    }

    /// Text cells: min, max, mean, std, nan, inf.
    var cells: [String] {
        [Format.short(min), Format.short(max), Format.short(mean), Format.short(std), "\(nanCount)", "\(infCount)"]
    }
}
