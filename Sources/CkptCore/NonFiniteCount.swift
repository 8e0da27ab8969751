/// How many elements of a floating-point tensor are NaN and how many are ±infinity: what the
/// trainer checks after each optimizer step and `ckpt verify` reports for a file (PyTorch's
/// `torch.isnan(t).sum()` and `torch.isinf(t).sum()`).
///
/// One pass over the raw little-endian bytes testing the exponent bits (all ones: NaN or
/// infinity), the same test for float16, bfloat16, float32 and float64; a loop the compiler vectorises,
/// with no early exit, so its cost is one read of the tensor. NaN and infinity are told apart
/// by a second pass only when the first found any. Integer and bool tensors count zero.
public struct NonFiniteCount: Equatable, Sendable {
    public var nan: Int
    public var infinite: Int

    public init(nan: Int = 0, infinite: Int = 0) {
        self.nan = nan
        self.infinite = infinite
    }

    public var total: Int { nan + infinite }
    public var isZero: Bool { total == 0 }

    /// "3 NaN and 1 infinite value", "2 NaN values", "1 infinite value".
    public var description: String {
        let parts = (nan > 0 ? ["\(nan) NaN"] : []) + (infinite > 0 ? ["\(infinite) infinite"] : [])
        let last = infinite > 0 ? infinite : nan  // "2 NaN and 1 infinite value"
        return parts.joined(separator: " and ") + (last == 1 ? " value" : " values")
    }

    /// Counts over `bytes`, elements of `dtype` (a partial element at the end is ignored).
    public init(bytes: UnsafeRawBufferPointer, dtype: DType) {
        self.init(bytes: bytes, dtype: dtype, special: nil)
    }

    /// `init(bytes:dtype:)` when the elements whose exponent bits are all set were counted
    /// already (`special`: `ckpt_verify`'s hashing kernel counts them as it hashes), so one
    /// pass tells NaN from infinity.
    public init(bytes: UnsafeRawBufferPointer, dtype: DType, special: Int?) {
        self.init()
        guard let base = bytes.baseAddress else { return }
        let n = bytes.count / dtype.size
        switch dtype {
        case .float32: (nan, infinite) = Self.count(base, n, UInt32.self, exponent: 0x7f80_0000, special)
        case .float64: (nan, infinite) = Self.count(base, n, UInt64.self, exponent: 0x7ff0_0000_0000_0000, special)
        case .float16: (nan, infinite) = Self.count(base, n, UInt16.self, exponent: 0x7c00, special)
        case .bfloat16: (nan, infinite) = Self.count(base, n, UInt16.self, exponent: 0x7f80, special)
        case .int64, .int32, .int16, .int8, .uint8, .bool: break
        }
    }

    /// Elements whose exponent bits are all set (`known`, or counted here); of those, the
    /// infinities are the ones whose bits but the sign are exactly the exponent's, and the
    /// rest are NaN (one mask and one compare per element).
    @inline(__always)
    private static func count<T: FixedWidthInteger & UnsignedInteger>(
        _ p: UnsafeRawPointer, _ n: Int, _: T.Type, exponent: T, _ known: Int?
    ) -> (nan: Int, infinite: Int) {
        let size = MemoryLayout<T>.size
        var special = 0
        var i = 0  // wrapping arithmetic: i < n, a buffer's element count
        if let known {
            special = known
        } else {
            while i < n {
                let v = p.loadUnaligned(fromByteOffset: i &* size, as: T.self)
                special &+= (v & exponent) == exponent ? 1 : 0
                i &+= 1
            }
        }
        guard special > 0 else { return (0, 0) }
        let magnitude: T = (1 << (T.bitWidth - 1)) - 1  // every bit but the sign
        var infinite = 0
        i = 0
        while i < n {
            let v = p.loadUnaligned(fromByteOffset: i &* size, as: T.self)
            infinite &+= (v & magnitude) == exponent ? 1 : 0
            i &+= 1
        }
        return (special - infinite, infinite)
    }
}

extension TensorData {
    /// The NaN and infinite elements of this tensor (zero for integer and bool dtypes).
    public var nonFiniteCount: NonFiniteCount {
        withUnsafeBytes { NonFiniteCount(bytes: $0, dtype: dtype) }
    }
}

extension Tensor {
    /// The NaN and infinite elements of this tensor.
    public var nonFiniteCount: NonFiniteCount {
        storage.withUnsafeBytes { NonFiniteCount(bytes: $0, dtype: .float32) }
    }
}
