/// Building a `TensorData` from untrusted input (a file's shape, dtype and bytes).
///
/// The memberwise `init(shape:storage:)` is for trusted code and traps on a mismatch; readers
/// of files call `elementCount(_:dtype:)` before allocating and `init(validating:storage:)`
/// after reading, so a hostile shape is an error value, never a trap or a wrong-sized tensor.
extension TensorData {
    /// Why an untrusted shape does not describe a tensor (the reason part of a reader's error).
    public enum ShapeError: Error, Equatable, Sendable, CustomStringConvertible {
        /// A dimension below 0.
        case negativeDimension(shape: [Int])
        /// The element count, or the byte count at `dtype`'s size, does not fit in `Int`.
        case overflow(shape: [Int], dtype: DType)
        /// The storage holds a different number of elements than the shape describes.
        case countMismatch(shape: [Int], dtype: DType, expected: Int, found: Int)

        public var description: String {
            switch self {
            case .negativeDimension(let s): "shape \(s) has a negative dimension"
            case .overflow(let s, let t): "shape \(s) of \(t.rawValue) overflows (more elements or bytes than fit in Int)"
            case .countMismatch(let s, let t, let e, let f):
                "shape \(s) holds \(e) \(t.rawValue) elements, the data holds \(f)"
            }
        }
    }

    /// The element count of `shape`, checked: throws `ShapeError` on a negative dimension, or
    /// when the count or its size in bytes at `dtype` overflows `Int`. Call it before
    /// allocating storage for a shape read from a file.
    public static func elementCount(_ shape: [Int], dtype: DType) throws -> Int {
        var n = 1
        for d in shape {
            guard d >= 0 else { throw ShapeError.negativeDimension(shape: shape) }
            let (m, o) = n.multipliedReportingOverflow(by: d)
            guard !o else { throw ShapeError.overflow(shape: shape, dtype: dtype) }
            n = m
        }
        guard !n.multipliedReportingOverflow(by: dtype.size).overflow else {
            throw ShapeError.overflow(shape: shape, dtype: dtype)
        }
        return n
    }

    /// A tensor from untrusted input: throws `ShapeError` (instead of trapping as
    /// `init(shape:storage:)` does) when a dimension is negative, the counts overflow, or
    /// `storage` does not hold exactly the shape's element count.
    public init(validating shape: [Int], storage: Storage) throws {
        let n = try Self.elementCount(shape, dtype: storage.dtype)
        guard n == storage.count else {
            throw ShapeError.countMismatch(shape: shape, dtype: storage.dtype, expected: n, found: storage.count)
        }
        self.init(shape: shape, storage: storage)
    }
}
