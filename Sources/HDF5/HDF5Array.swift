/// A Swift type stored element-for-element as one `HDF5ElementType`.
public protocol HDF5Scalar {
    static var hdf5Type: HDF5ElementType { get }
}
extension Float: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .float32 } }
extension Double: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .float64 } }
extension Int8: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .int8 } }
extension Int16: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .int16 } }
extension Int32: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .int32 } }
extension Int64: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .int64 } }
extension UInt8: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .uint8 } }
extension UInt16: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .uint16 } }
extension UInt32: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .uint32 } }
extension UInt64: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .uint64 } }
extension Bool: HDF5Scalar { public static var hdf5Type: HDF5ElementType { .bool } }

/// A small typed n-d array held as raw little-endian bytes: the value of a numeric attribute.
/// `shape == []` is a scalar. float16 elements are IEEE binary16 bit patterns.
public struct HDF5Array: Sendable, Equatable {
    public var type: HDF5ElementType
    public var shape: [Int]
    public var bytes: [UInt8]

    /// `bytes.count` must equal `shape.product * type.size`.
    public init(type: HDF5ElementType, shape: [Int], bytes: [UInt8]) {
        self.type = type
        self.shape = shape
        self.bytes = bytes
    }

    public init<T: HDF5Scalar>(_ values: [T], shape: [Int]? = nil) {
        type = T.hdf5Type
        self.shape = shape ?? [values.count]
        bytes = values.withUnsafeBytes { Array($0) }
    }

    public init<T: HDF5Scalar>(scalar: T) {
        self.init([scalar], shape: [])
    }

    public var count: Int { shape.reduce(1, *) }

    /// The elements as `T` when `T` is exactly the stored type, else nil.
    public func values<T: HDF5Scalar>(as: T.Type) -> [T]? {
        guard T.hdf5Type == type, bytes.count == count * MemoryLayout<T>.stride else { return nil }
        if T.self == Bool.self {
            // Guard against bytes other than 0/1 (an invalid Bool bit pattern in Swift).
            return bytes.map { ($0 != 0) as! T }
        }
        return [T](unsafeUninitializedCapacity: count) { buf, n in
            bytes.withUnsafeBytes { src in
                UnsafeMutableRawBufferPointer(buf).copyMemory(from: src)
            }
            n = count
        }
    }
}

/// The value of an attribute, in the shapes h5py produces and reads.
public enum HDF5AttributeValue: Sendable, Equatable {
    /// A null dataspace: h5py reads it as `h5py.Empty` (what ckpt writes for Python's `None`).
    case empty
    /// Numbers or bools, scalar (`shape == []`) or an array.
    case numbers(HDF5Array)
    /// Strings, scalar (`shape == []`, one element) or an array; stored as variable-length
    /// UTF-8 (h5py's `str`). Fixed-length strings in foreign files read back here too.
    case strings([String], shape: [Int])

    public static func string(_ s: String) -> HDF5AttributeValue { .strings([s], shape: []) }
    public static func scalar<T: HDF5Scalar>(_ v: T) -> HDF5AttributeValue { .numbers(HDF5Array(scalar: v)) }
    public static func array<T: HDF5Scalar>(_ v: [T]) -> HDF5AttributeValue { .numbers(HDF5Array(v)) }
    public static func stringArray(_ v: [String]) -> HDF5AttributeValue { .strings(v, shape: [v.count]) }

    /// Shape of the value (`nil` for `.empty`).
    public var shape: [Int]? {
        switch self {
        case .empty: nil
        case .numbers(let a): a.shape
        case .strings(_, let s): s
        }
    }
}
