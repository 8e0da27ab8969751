import CkptCore
import CkptFormat

/// A `StateValue` as bytes and back, to move optimizer state between the ranks of one job
/// (`Run.checkpointForSaving`). Not a file format: both ends are the same binary, so there is
/// no version and no endianness question; the decoder still checks every length, because a
/// wrong byte count would otherwise be a trap instead of an error, and refuses nesting deeper
/// than the checkpoint format allows.
enum StateCodec {
    struct Malformed: Error, CustomStringConvertible {
        var description: String { "state exchanged between ranks is malformed" }
    }

    static func encode(_ value: StateValue) -> [UInt8] {
        var out: [UInt8] = []
        append(value, to: &out)
        return out
    }

    static func decode(_ bytes: [UInt8]) throws -> StateValue {
        var at = 0
        let v = try read(bytes, &at, depth: 0)
        guard at == bytes.count else { throw Malformed() }
        return v
    }

    private static func put<T: FixedWidthInteger>(_ v: T, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func put(_ s: String, _ out: inout [UInt8]) {
        let u = Array(s.utf8)
        put(UInt64(u.count), &out)
        out.append(contentsOf: u)
    }

    private static func append(_ value: StateValue, to out: inout [UInt8]) {
        switch value {
        case .tensor(let t):
            out.append(0)
            put(t.dtype.rawValue, &out)
            put(UInt64(t.shape.count), &out)
            for d in t.shape { put(Int64(d), &out) }
            t.withUnsafeBytes { b in
                put(UInt64(b.count), &out)
                out.append(contentsOf: b)
            }
        case .int(let i): out.append(1); put(i, &out)
        case .double(let d): out.append(2); put(d.bitPattern, &out)
        case .bool(let b): out.append(3); out.append(b ? 1 : 0)
        case .string(let s): out.append(4); put(s, &out)
        case .none: out.append(5)
        case .list(let a), .tuple(let a):
            if case .list = value { out.append(6) } else { out.append(7) }
            put(UInt64(a.count), &out)
            for v in a { append(v, to: &out) }
        case .dict(let d):
            out.append(8)
            out.append(d.keyKind == .int ? 1 : 0)
            put(d.pythonClass?.rawValue ?? "", &out)
            put(UInt64(d.entries.count), &out)
            for (k, v) in d {
                put(k, &out)
                append(v, to: &out)
            }
        }
    }

    private static func take<T: FixedWidthInteger>(_ b: [UInt8], _ at: inout Int, _: T.Type) throws -> T {
        let n = MemoryLayout<T>.size
        guard at >= 0, b.count - at >= n else { throw Malformed() }
        var v: T = 0
        withUnsafeMutableBytes(of: &v) { $0.copyBytes(from: b[at..<(at + n)]) }
        at += n
        return T(littleEndian: v)
    }

    private static func count(_ b: [UInt8], _ at: inout Int) throws -> Int {
        let n = try take(b, &at, UInt64.self)
        guard n <= UInt64(b.count - at) else { throw Malformed() }  // every element takes ≥ 1 byte
        return Int(n)
    }

    private static func string(_ b: [UInt8], _ at: inout Int) throws -> String {
        let n = try count(b, &at)
        defer { at += n }
        return String(decoding: b[at..<(at + n)], as: UTF8.self)
    }

    /// Nesting beyond the checkpoint format's own limit is refused, so no input recurses deep
    /// enough to overflow the stack.
    private static func read(_ b: [UInt8], _ at: inout Int, depth: Int) throws -> StateValue {
        guard depth < CheckpointFormat.maxDepth else { throw Malformed() }
        let tag = try take(b, &at, UInt8.self)
        switch tag {
        case 0:
            guard let dtype = DType(rawValue: try string(b, &at)) else { throw Malformed() }
            let rank = try count(b, &at)
            var shape: [Int] = []
            for _ in 0..<rank { shape.append(Int(try take(b, &at, Int64.self))) }
            let n = try count(b, &at)
            let bytes = Array(b[at..<(at + n)])
            at += n
            return .tensor(try tensor(bytes, dtype: dtype, shape: shape))
        case 1: return .int(try take(b, &at, Int64.self))
        case 2: return .double(Double(bitPattern: try take(b, &at, UInt64.self)))
        case 3: return .bool(try take(b, &at, UInt8.self) != 0)
        case 4: return .string(try string(b, &at))
        case 5: return .none
        case 6, 7:
            let n = try count(b, &at)
            var a: [StateValue] = []
            for _ in 0..<n { a.append(try read(b, &at, depth: depth + 1)) }
            return tag == 6 ? .list(a) : .tuple(a)
        case 8:
            let intKeys = try take(b, &at, UInt8.self) == 1
            let cls = try string(b, &at)
            let n = try count(b, &at)
            var d = StateDict()
            for _ in 0..<n {
                let k = try string(b, &at)
                d[k] = try read(b, &at, depth: depth + 1)
            }
            if intKeys { d.keyKind = .int }
            d.pythonClass = StateDict.PythonClass(rawValue: cls)
            return .dict(d)
        default:
            throw Malformed()
        }
    }

    private static func tensor(_ bytes: [UInt8], dtype: DType, shape: [Int]) throws -> TensorData {
        guard bytes.count % dtype.size == 0 else { throw Malformed() }
        let storage = TensorData.Storage(littleEndianBytes: bytes, dtype: dtype)
        do { return try TensorData(validating: shape, storage: storage) } catch { throw Malformed() }
    }
}
