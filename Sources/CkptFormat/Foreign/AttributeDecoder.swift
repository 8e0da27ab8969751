import CkptCore
import HDF5

/// The one reading of an HDF5 attribute as a `StateValue`: the checkpoint reader
/// (`StateReader`, root metadata in `CheckpointFile`) and the listing of any HDF5 file
/// (`FileTreeNode.list`) both decode through it, so a value reads the same in `load` and in
/// `ckpt inspect`. The result is the Python value h5py's `attrs[name]` gives after `.item()` /
/// `.tolist()`.
///
/// Numbers convert only where the value stays exactly what the file holds: every integer type
/// whose value fits in int64 becomes `.int`; float16, float32 and float64 become `.double`
/// (binary16 and binary32 widen to binary64 exactly); HDF5's enum bool becomes `.bool`. A
/// uint64 above `Int64.max` has no exact `StateValue` (its ints are Int64, as ckpt writes
/// them; a double would turn 2^63 + 1 into 2^63 and an int into a float), so it is refused,
/// naming the attribute and the value: PyTorch's state dicts never hold such ints (steps,
/// epochs, counts), so a file that does is not one ckpt can round-trip.
///
/// Errors are `CheckpointError.malformed` naming the file and the attribute's path; nothing
/// here traps on what the file holds (counts and byte sizes are checked, not assumed).
struct AttributeDecoder {
    /// The file errors name (the original, never an isolated copy).
    let file: String
    /// Attributes of two or more dimensions: false refuses them (a format v1 state value is a
    /// scalar or a 1-D array); true gives nested lists in row-major order, as numpy's
    /// `tolist()` does (listings of foreign files).
    var nestedArrays = false

    /// Empty lists a nested attribute may hold without values (shape `[10**9, 0]` holds no
    /// bytes but would be a billion lists).
    static let maxEmptyLists = 1 << 16

    /// `value` as a state value; a 1-D array becomes a tuple when `isTuple` (the group's
    /// `__tuples__` names it), else a list.
    func decode(_ value: HDF5AttributeValue, path: String, isTuple: Bool = false) throws -> StateValue {
        switch value {
        case .empty:
            return .none
        case .strings(let s, let shape):
            return try shaped(s.map { .string($0) }, shape: shape, path: path, isTuple: isTuple)
        case .numbers(let a):
            return try shaped(try elements(a, path: path), shape: a.shape, path: path, isTuple: isTuple)
        }
    }

    /// The elements of a numeric attribute, in storage order.
    func elements(_ a: HDF5Array, path: String) throws -> [StateValue] {
        let n = try count(a.shape, path: path)
        guard a.bytes.count == n * a.type.size else {
            throw malformed(path, "\(a.bytes.count) bytes for \(n) \(a.type.rawValue) values (shape \(a.shape))")
        }
        switch a.type {
        case .float64: return try values(a, Double.self, path).map { .double($0) }
        case .float32: return try values(a, Float.self, path).map { .double(Double($0)) }
        case .float16:
            // Raw little-endian binary16 bits (`HDF5Array.values` reads exact Swift types only).
            let bits = (0..<n).map { UInt16(a.bytes[2 * $0]) | UInt16(a.bytes[2 * $0 + 1]) << 8 }
            return TensorData(shape: [n], storage: .float16(bits)).doubleElements.map { .double($0) }
        case .int64: return try values(a, Int64.self, path).map { .int($0) }
        case .int32: return try values(a, Int32.self, path).map { .int(Int64($0)) }
        case .int16: return try values(a, Int16.self, path).map { .int(Int64($0)) }
        case .int8: return try values(a, Int8.self, path).map { .int(Int64($0)) }
        case .uint32: return try values(a, UInt32.self, path).map { .int(Int64($0)) }
        case .uint16: return try values(a, UInt16.self, path).map { .int(Int64($0)) }
        case .uint8: return try values(a, UInt8.self, path).map { .int(Int64($0)) }
        case .bool: return try values(a, Bool.self, path).map { .bool($0) }
        case .uint64:
            return try values(a, UInt64.self, path).enumerated().map { i, v in
                guard let exact = Int64(exactly: v) else {
                    let at = a.shape.isEmpty ? "" : " (element \(i))"
                    throw malformed(path, "uint64 value \(v)\(at) is above int64's maximum \(Int64.max): "
                                        + "a state value int is int64, and a float would not hold it exactly")
                }
                return .int(exact)
            }
        }
    }

    private func values<T: HDF5Scalar>(_ a: HDF5Array, _: T.Type, _ path: String) throws -> [T] {
        guard let v = a.values(as: T.self) else {
            throw malformed(path, "\(a.bytes.count) bytes do not hold \(a.type.rawValue) values of shape \(a.shape)")
        }
        return v
    }

    /// Elements in `shape`, refusing negative or overflowing dimensions.
    private func count(_ shape: [Int], path: String) throws -> Int {
        guard shape.allSatisfy({ $0 >= 0 }), let n = Self.product(shape[...]) else {
            throw malformed(path, "attribute of shape \(shape) has no element count")
        }
        return n
    }

    /// The product of `dims`, or nil when it overflows.
    private static func product(_ dims: ArraySlice<Int>) -> Int? {
        var n = 1
        for d in dims {
            let (m, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = m
        }
        return n
    }

    private func shaped(_ items: [StateValue], shape: [Int], path: String, isTuple: Bool) throws -> StateValue {
        let n = try count(shape, path: path)
        guard items.count == n else { throw malformed(path, "\(items.count) values for shape \(shape)") }
        switch shape.count {
        case 0: return items[0]
        case 1: return isTuple ? .tuple(items) : .list(items)
        default:
            guard nestedArrays else {
                throw malformed(path, "attribute of shape \(shape): only scalars and 1-D arrays are state values")
            }
            // Innermost lists; with elements there are at most as many lists as elements.
            guard n > 0 || Self.product(shape.dropLast()).map({ $0 <= Self.maxEmptyLists }) == true else {
                throw malformed(path, "attribute of shape \(shape): more than \(Self.maxEmptyLists) empty lists")
            }
            return nest(items[...], shape: shape[...])
        }
    }

    /// Row-major nesting: `items` split into `shape[0]` equal runs, each nested by the rest.
    private func nest(_ items: ArraySlice<StateValue>, shape: ArraySlice<Int>) -> StateValue {
        guard shape.count > 1 else { return .list(Array(items)) }
        let rest = shape.dropFirst()
        // `count` checked the whole product; a rest that overflows only follows a 0 here.
        let run = Self.product(rest) ?? 0
        return .list((0..<shape.first!).map { i in
            let start = items.startIndex + i * run
            return nest(items[start..<start + run], shape: rest)
        })
    }

    private func malformed(_ path: String, _ reason: String) -> CheckpointError {
        .malformed(file: file, path: path, reason: reason)
    }
}
