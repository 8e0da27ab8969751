import Foundation

/// A typed, contiguous (row-major) n-d array of any `DType`: what a state dict holds where
/// PyTorch holds a `torch.Tensor`.
///
/// Storage is a Swift array, so converting a float32 `Tensor` to `TensorData` and back shares
/// the buffer (copy-on-write): saving a model never copies its weights in memory.
/// `shape == []` is a 0-d tensor (one element), as PyTorch's `torch.tensor(1.0)`.
public struct TensorData: Sendable, Equatable {
    public enum Storage: Sendable, Equatable {
        case float32([Float])
        case float64([Double])
        /// IEEE binary16 bit patterns (kept as bits so NaN payloads survive a round trip).
        case float16([UInt16])
        /// bfloat16 bit patterns (the upper 16 bits of the float32 each stands for).
        case bfloat16([UInt16])
        case int64([Int64])
        case int32([Int32])
        case int16([Int16])
        case int8([Int8])
        case uint8([UInt8])
        case bool([Bool])
    }

    public var shape: [Int]
    public var storage: Storage

    /// Creates a tensor; `storage`'s element count must equal the product of `shape` and no
    /// dimension may be negative, else it traps: for trusted code. Shapes read from a file go
    /// through `init(validating:storage:)`, which throws instead.
    public init(shape: [Int], storage: Storage) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == storage.count,
                     "shape \(shape) holds \(shape.reduce(1, *)) elements, storage has \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    public var dtype: DType { storage.dtype }
    public var count: Int { storage.count }
    public var byteCount: Int { count * dtype.size }

    /// Calls `body` with the raw little-endian bytes of the elements (no copy).
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch storage {
        case .float32(let a): return try a.withUnsafeBytes(body)
        case .float64(let a): return try a.withUnsafeBytes(body)
        case .float16(let a): return try a.withUnsafeBytes(body)
        case .bfloat16(let a): return try a.withUnsafeBytes(body)
        case .int64(let a): return try a.withUnsafeBytes(body)
        case .int32(let a): return try a.withUnsafeBytes(body)
        case .int16(let a): return try a.withUnsafeBytes(body)
        case .int8(let a): return try a.withUnsafeBytes(body)
        case .uint8(let a): return try a.withUnsafeBytes(body)
        case .bool(let a): return try a.withUnsafeBytes(body)
        }
    }

    /// Bitwise equality of shape, dtype and bytes: NaN equals NaN with the same bits, and
    /// `-0.0 != 0.0`. This is what "bit-identical" means throughout ckpt.
    public func bitwiseEqual(_ other: TensorData) -> Bool {
        guard shape == other.shape, dtype == other.dtype else { return false }
        return withUnsafeBytes { a in
            other.withUnsafeBytes { b in
                guard a.count == b.count else { return false }
                guard let pa = a.baseAddress, let pb = b.baseAddress else { return a.count == 0 }
                return memcmp(pa, pb, a.count) == 0
            }
        }
    }

    /// A 0-d float32 tensor, as PyTorch keeps an optimizer's `step`.
    public static func scalar(_ value: Float) -> TensorData {
        TensorData(shape: [], storage: .float32([value]))
    }
}

extension TensorData.Storage {
    public var dtype: DType {
        switch self {
        case .float32: .float32
        case .float64: .float64
        case .float16: .float16
        case .bfloat16: .bfloat16
        case .int64: .int64
        case .int32: .int32
        case .int16: .int16
        case .int8: .int8
        case .uint8: .uint8
        case .bool: .bool
        }
    }

    public var count: Int {
        switch self {
        case .float32(let a): a.count
        case .float64(let a): a.count
        case .float16(let a): a.count
        case .bfloat16(let a): a.count
        case .int64(let a): a.count
        case .int32(let a): a.count
        case .int16(let a): a.count
        case .int8(let a): a.count
        case .uint8(let a): a.count
        case .bool(let a): a.count
        }
    }
}

extension TensorData.Storage {
    /// The elements of `bytes` (little-endian, `bytes.count / dtype.size` of them; a partial
    /// element at the end is ignored) as a storage of `dtype`. Bool bytes other than 0 are true.
    public init(littleEndianBytes bytes: [UInt8], dtype: DType) {
        func cast<T>(_: T.Type) -> [T] {
            let n = bytes.count / MemoryLayout<T>.stride
            return [T](unsafeUninitializedCapacity: n) { buf, count in
                bytes.withUnsafeBytes {
                    UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<(n * MemoryLayout<T>.stride)]))
                }
                count = n
            }
        }
        switch dtype {
        case .float32: self = .float32(cast(Float.self))
        case .float64: self = .float64(cast(Double.self))
        case .float16: self = .float16(cast(UInt16.self))
        case .bfloat16: self = .bfloat16(cast(UInt16.self))
        case .int64: self = .int64(cast(Int64.self))
        case .int32: self = .int32(cast(Int32.self))
        case .int16: self = .int16(cast(Int16.self))
        case .int8: self = .int8(cast(Int8.self))
        case .uint8: self = .uint8(bytes)
        case .bool: self = .bool(bytes.map { $0 != 0 })
        }
    }
}
