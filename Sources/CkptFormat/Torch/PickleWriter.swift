import CkptCore

/// Writes a `StateValue` tree as the `data.pkl` of a `torch.save` file: pickle protocol 2
/// (`torch.save`'s default `pickle_protocol=2`), with the opcodes CPython's pickler uses for
/// each type, so `torch.load(weights_only=True)` rebuilds the objects a PyTorch user saved:
/// `dict` (`EMPTY_DICT`, `SETITEMS` in batches of 1000, int keys as ints), `OrderedDict`
/// (`collections.OrderedDict` called with no arguments, then its items; `orderedDicts` says
/// which dicts are ones), `Counter` (`collections.Counter` called with a plain dict), `list`,
/// `tuple`, `int` (`BININT1`/`BININT2`/`BININT`, `LONG1` beyond 32 bits), `float`
/// (`BINFLOAT`), `bool`, `str`, `None`, and each tensor as
/// `torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())` whose
/// storage is the persistent id `("storage", torch.<Type>Storage, "<key>", "cpu", numel)`;
/// the tensor's bytes are then `data/<key>` (`storages`, in key order "0", "1", ...).
/// Globals are memoised (`BINPUT` once, `BINGET` after) as CPython does.
struct PickleWriter {
    private(set) var bytes: [UInt8] = [0x80, 2]
    /// The tensors in the order their storage keys were given.
    private(set) var storages: [TensorData] = []
    private var memo: [String: UInt32] = [:]
    private var nextMemo: UInt32 = 0

    /// The storage class `torch.save` names for a dtype.
    static func storageClass(_ d: DType) -> String {
        switch d {
        case .float32: "FloatStorage"
        case .float64: "DoubleStorage"
        case .float16: "HalfStorage"
        case .bfloat16: "BFloat16Storage"
        case .int64: "LongStorage"
        case .int32: "IntStorage"
        case .int16: "ShortStorage"
        case .int8: "CharStorage"
        case .uint8: "ByteStorage"
        case .bool: "BoolStorage"
        }
    }

    /// The whole pickle of `value`; a dict is an `OrderedDict` when `isOrdered` says so for its path.
    static func pickle(_ value: StateValue, orderedAt isOrdered: ([String]) -> Bool) -> PickleWriter {
        var w = PickleWriter()
        var path: [String] = []
        w.save(value, path: &path, isOrdered: isOrdered)
        w.bytes.append(0x2E)  // STOP
        return w
    }

    private mutating func save(_ v: StateValue, path: inout [String], isOrdered: ([String]) -> Bool) {
        switch v {
        case .none: bytes.append(0x4E)
        case .bool(let b): bytes.append(b ? 0x88 : 0x89)
        case .int(let i): int(i)
        case .double(let d):
            bytes.append(0x47)
            withUnsafeBytes(of: d.bitPattern.bigEndian) { bytes.append(contentsOf: $0) }
        case .string(let s): string(s)
        case .tensor(let t): tensor(t)
        case .list(let items):
            bytes.append(0x5D)  // EMPTY_LIST
            for r in Self.batches(items.count) {
                if r.count > 1 { bytes.append(0x28) }  // MARK
                for i in r {
                    path.append(String(i))
                    save(items[i], path: &path, isOrdered: isOrdered)
                    path.removeLast()
                }
                bytes.append(r.count > 1 ? 0x65 : 0x61)  // APPENDS / APPEND
            }
        case .tuple(let items):
            if items.isEmpty { bytes.append(0x29); return }
            if items.count > 3 { bytes.append(0x28) }
            for (i, item) in items.enumerated() {
                path.append(String(i))
                save(item, path: &path, isOrdered: isOrdered)
                path.removeLast()
            }
            bytes.append(items.count > 3 ? 0x74 : [0x85, 0x86, 0x87][items.count - 1])
        case .dict(let d):
            if d.pythonClass == .counter {
                global("collections", "Counter")
                items(d, path: &path, isOrdered: isOrdered)
                bytes.append(contentsOf: [0x85, 0x52])  // TUPLE1, REDUCE
            } else if isOrdered(path) {
                global("collections", "OrderedDict")
                bytes.append(contentsOf: [0x29, 0x52])  // EMPTY_TUPLE, REDUCE
                setitems(d, path: &path, isOrdered: isOrdered)
            } else {
                items(d, path: &path, isOrdered: isOrdered)
            }
        }
    }

    /// A plain dict holding `d`'s items.
    private mutating func items(_ d: StateDict, path: inout [String], isOrdered: ([String]) -> Bool) {
        bytes.append(0x7D)  // EMPTY_DICT
        setitems(d, path: &path, isOrdered: isOrdered)
    }

    /// `d`'s items added to the dict on the stack.
    private mutating func setitems(_ d: StateDict, path: inout [String], isOrdered: ([String]) -> Bool) {
        let pairs = Array(d)
        for r in Self.batches(pairs.count) {
            if r.count > 1 { bytes.append(0x28) }  // MARK
            for i in r {
                let (key, value) = pairs[i]
                if d.keyKind == .int, let k = StateDict.intKey(key) { int(k) } else { string(key) }
                path.append(key)
                save(value, path: &path, isOrdered: isOrdered)
                path.removeLast()
            }
            bytes.append(r.count > 1 ? 0x75 : 0x73)  // SETITEMS / SETITEM
        }
    }

    /// CPython's batching: groups of up to 1000 items; a group of one uses the single-item
    /// opcode, larger ones `MARK` ... and the many-item opcode.
    static func batches(_ count: Int) -> [Range<Int>] {
        stride(from: 0, to: count, by: 1000).map { $0..<min($0 + 1000, count) }
    }

    private mutating func int(_ i: Int64) {
        if i >= 0 && i <= 0xFF {
            bytes.append(contentsOf: [0x4B, UInt8(i)])
        } else if i >= 0 && i <= 0xFFFF {
            bytes.append(contentsOf: [0x4D, UInt8(i & 0xFF), UInt8(i >> 8)])
        } else if i >= Int64(Int32.min) && i <= Int64(Int32.max) {
            bytes.append(0x4A)
            withUnsafeBytes(of: Int32(i).littleEndian) { bytes.append(contentsOf: $0) }
        } else {
            // LONG1: the shortest little-endian two's complement that keeps the sign.
            var le: [UInt8] = withUnsafeBytes(of: i.littleEndian) { Array($0) }
            while le.count > 1 {
                let last = le[le.count - 1], prev = le[le.count - 2]
                if (last == 0 && prev & 0x80 == 0) || (last == 0xFF && prev & 0x80 != 0) { le.removeLast() } else { break }
            }
            bytes.append(contentsOf: [0x8A, UInt8(le.count)] + le)
        }
    }

    private mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        bytes.append(0x58)  // BINUNICODE
        withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: utf8)
    }

    private mutating func global(_ module: String, _ name: String) {
        let key = module + "\n" + name + "\n"
        if let m = memo[key] {
            if m < 256 { bytes.append(contentsOf: [0x68, UInt8(m)]) } else {
                bytes.append(0x6A)
                withUnsafeBytes(of: m.littleEndian) { bytes.append(contentsOf: $0) }
            }
            return
        }
        bytes.append(0x63)  // GLOBAL
        bytes.append(contentsOf: Array(key.utf8))
        let m = nextMemo
        nextMemo += 1
        memo[key] = m
        if m < 256 { bytes.append(contentsOf: [0x71, UInt8(m)]) } else {
            bytes.append(0x72)
            withUnsafeBytes(of: m.littleEndian) { bytes.append(contentsOf: $0) }
        }
    }

    /// Row-major strides as PyTorch computes them for a contiguous tensor (a 0 size counts as 1).
    static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in shape.indices.reversed() {
            s[i] = acc
            acc *= max(shape[i], 1)
        }
        return s
    }

    private mutating func tensor(_ t: TensorData) {
        let key = String(storages.count)
        storages.append(t)
        global("torch._utils", "_rebuild_tensor_v2")
        bytes.append(0x28)  // MARK: the six arguments
        bytes.append(0x28)  // MARK: the persistent id
        string("storage")
        global("torch", Self.storageClass(t.dtype))
        string(key)
        string("cpu")
        int(Int64(t.count))
        bytes.append(contentsOf: [0x74, 0x51])  // TUPLE, BINPERSID
        int(0)
        var none: [String] = []
        save(.tuple(t.shape.map { .int(Int64($0)) }), path: &none, isOrdered: { _ in false })
        save(.tuple(Self.strides(t.shape).map { .int(Int64($0)) }), path: &none, isOrdered: { _ in false })
        bytes.append(0x89)  // NEWFALSE: requires_grad
        global("collections", "OrderedDict")
        bytes.append(contentsOf: [0x29, 0x52])  // OrderedDict(): no backward hooks
        bytes.append(contentsOf: [0x74, 0x52])  // TUPLE, REDUCE
    }
}
