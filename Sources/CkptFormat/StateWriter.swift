import CkptCore
import Dispatch
import HDF5

/// Writes `StateDict`s into HDF5 groups with the format's general value encoding
/// (`docs/FORMAT.md` §Encoding):
/// - tensor → dataset (contiguous, native dtype) with a `checksum` attribute;
/// - int / double / bool / string / None → int64 / float64 / numpy-bool / UTF-8 string /
///   null-dataspace attribute;
/// - list or tuple of all-ints, all-doubles, all-bools or all-strings (or empty) → 1-D array
///   attribute, tuples listed in `__ckpt_tuples__`;
/// - dict → subgroup; any other list/tuple → subgroup with `__ckpt_kind__` = "list"/"tuple"
///   and elements under keys "0", "1", ... encoded by these same rules;
/// - `__ckpt_order__` records the key order only when it is not "attributes, then links";
/// - `__ckpt_keys__` = "int" marks a dict with Python int keys, `__ckpt_class__` = "Counter"
///   a `collections.Counter` (`StateDict.keyKind` / `pythonClass`).
struct StateWriter {
    let file: String
    /// Collects where each tensor's bytes landed in the file (for the manifest).
    let ranges = TensorRanges()
    /// A collective save's agreed tensors and this rank (`CollectiveCheckpointFile`); nil: one process.
    var shared: Shared? = nil

    struct Shared {
        let tensors: [String: CollectiveCheckpointFile.Tensor]
        let rank: Int
    }
    /// Tensors at least this large hash on another core while HDF5 writes them (when
    /// `parallelHash`; otherwise every tensor hashes on the writing thread).
    static let parallelHashBytes = 1 << 20
    var parallelHash = true

    init(file: String, parallelHash: Bool = true, shared: Shared? = nil) {
        self.file = file
        self.parallelHash = parallelHash
        self.shared = shared
    }

    func write(_ dict: StateDict, into group: HDF5Group) throws {
        try write(dict, into: group, depth: 0)
    }

    private func write(_ dict: StateDict, into group: HDF5Group, depth: Int) throws {
        guard depth < CheckpointFormat.maxDepth else {
            throw CheckpointError.unsupportedValue(file: file, path: group.path,
                                                   reason: "nesting deeper than \(CheckpointFormat.maxDepth) levels")
        }
        var attributeKeys: [String] = []
        var linkKeys: [String] = []
        var tupleKeys: [String] = []
        for (key, value) in dict {
            let path = childPath(group.path, key)
            try validate(key: key, path: path)
            if dict.keyKind == .int, StateDict.intKey(key) == nil {
                throw CheckpointError.unsupportedValue(
                    file: file, path: path, reason: "key \"\(key)\" of an int-keyed dict is not an int in canonical decimal form")
            }
            do {
                switch value {
                case .tensor(let t):
                    try writeTensor(t, named: key, in: group)
                    linkKeys.append(key)
                case .int, .double, .bool, .string, .none:
                    try group.writeAttribute(key, scalarAttribute(value))
                    attributeKeys.append(key)
                case .list(let items), .tuple(let items):
                    let isTuple: Bool = if case .tuple = value { true } else { false }
                    if let attr = arrayAttribute(items) {
                        try group.writeAttribute(key, attr)
                        attributeKeys.append(key)
                        if isTuple { tupleKeys.append(key) }
                    } else {
                        let sub = try group.createGroup(key)
                        try sub.writeAttribute(CheckpointFormat.kindAttribute, .string(isTuple ? "tuple" : "list"))
                        let elements = StateDict(items.enumerated().map { (String($0.offset), $0.element) })
                        try write(elements, into: sub, depth: depth + 1)
                        linkKeys.append(key)
                    }
                case .dict(let d):
                    let sub = try group.createGroup(key)
                    try write(d, into: sub, depth: depth + 1)
                    linkKeys.append(key)
                }
            } catch let e as HDF5Error {
                throw CheckpointError.io(file: file, operation: "write \(path)", reason: "cannot \(e.operation): \(e.reason)")
            }
        }
        do {
            if !tupleKeys.isEmpty {
                try group.writeAttribute(CheckpointFormat.tuplesAttribute, .stringArray(tupleKeys))
            }
            if attributeKeys + linkKeys != dict.keys {
                try group.writeAttribute(CheckpointFormat.orderAttribute, .stringArray(dict.keys))
            }
            if dict.keyKind == .int {
                try group.writeAttribute(CheckpointFormat.keysAttribute, .string(StateDict.KeyKind.int.rawValue))
            }
            if let c = dict.pythonClass {
                try group.writeAttribute(CheckpointFormat.classAttribute, .string(c.rawValue))
            }
        } catch let e as HDF5Error {
            throw CheckpointError.io(file: file, operation: "write \(group.path)", reason: "cannot \(e.operation): \(e.reason)")
        }
    }

    private func validate(key: String, path: String) throws {
        // Scans of the UTF-8 bytes: String.contains(String) goes through Foundation's
        // NSString search (2% of a save of 10,000 tensors).
        if key.isEmpty || key == "." || key.utf8.contains(UInt8(ascii: "/")) || key.utf8.contains(0) {
            throw CheckpointError.unsupportedValue(
                file: file, path: path, reason: "key \"\(key)\" is not a valid HDF5 name (empty, \".\", \"/\" or NUL)")
        }
        if key.hasPrefix(CheckpointFormat.reservedPrefix) {
            throw CheckpointError.unsupportedValue(
                file: file, path: path, reason: "keys starting with \"\(CheckpointFormat.reservedPrefix)\" are reserved")
        }
    }

    func scalarAttribute(_ value: StateValue) -> HDF5AttributeValue {
        switch value {
        case .int(let i): .scalar(i)
        case .double(let d): .scalar(d)
        case .bool(let b): .scalar(b)
        case .string(let s): .string(s)
        default: .empty
        }
    }

    /// A 1-D array attribute for homogeneous lists of numbers, bools or strings; nil otherwise.
    func arrayAttribute(_ items: [StateValue]) -> HDF5AttributeValue? {
        if items.isEmpty { return .numbers(HDF5Array([Double]())) }
        var ints: [Int64] = [], doubles: [Double] = [], bools: [Bool] = [], strings: [String] = []
        for item in items {
            switch item {
            case .int(let i): ints.append(i)
            case .double(let d): doubles.append(d)
            case .bool(let b): bools.append(b)
            case .string(let s): strings.append(s)
            default: return nil
            }
        }
        if ints.count == items.count { return .array(ints) }
        if doubles.count == items.count { return .array(doubles) }
        if bools.count == items.count { return .array(bools) }
        if strings.count == items.count { return .stringArray(strings) }
        return nil
    }

    /// Writes one tensor dataset and its checksum, hashing large tensors on another core
    /// while HDF5 copies the bytes to the file.
    func writeTensor(_ t: TensorData, named name: String, in group: HDF5Group) throws {
        if let shared { return try writeSharedTensor(t, named: name, in: group, shared) }
        let type = t.dtype.hdf5Type
        let box = HashBox()
        let pending = DispatchGroup()
        if parallelHash, t.byteCount >= Self.parallelHashBytes {
            DispatchQueue.global().async(group: pending) { box.value = t.withUnsafeBytes { Checksum.xxh64($0) } }
        } else {
            box.value = t.withUnsafeBytes { Checksum.xxh64($0) }
        }
        let dataset: HDF5Dataset
        do {
            dataset = try t.withUnsafeBytes { try group.createDataset(name, type: type, shape: t.shape, bytes: $0) }
        } catch {
            pending.wait()
            throw error
        }
        pending.wait()
        try dataset.writeAttribute(CheckpointFormat.checksumAttribute, .string(Checksum.format(box.value)))
        if t.dtype.needsDTypeAttribute {
            try dataset.writeAttribute(CheckpointFormat.dtypeAttribute, .string(t.dtype.rawValue))
        }
        if t.byteCount > 0, let offset = dataset.dataOffset() { ranges.list.append(offset..<(offset + t.byteCount)) }
    }
}

extension StateWriter {
    /// A tensor of a collective save: every rank creates the dataset and its checksum attribute
    /// with the agreed shape, dtype and checksum; only the tensor's writer writes its bytes.
    private func writeSharedTensor(_ t: TensorData, named name: String, in group: HDF5Group, _ shared: Shared) throws {
        let path = childPath(group.path, name)
        guard let plan = shared.tensors[path] else {
            throw CheckpointError.unsupportedValue(file: file, path: path, reason: "no rank of the collective save writes this tensor")
        }
        let type = plan.dtype.hdf5Type
        let dataset = try group.createDataset(name, type: type, shape: plan.shape)
        if plan.writer == shared.rank {
            guard t.shape == plan.shape, t.dtype == plan.dtype else {
                throw CheckpointError.unsupportedValue(file: file, path: path, reason: "rank \(shared.rank) holds \(t.dtype.rawValue) \(t.shape), the plan says \(plan.dtype.rawValue) \(plan.shape)")
            }
            if t.count > 0 { try t.withUnsafeBytes { try dataset.write($0, as: type) } }
        }
        try dataset.writeAttribute(CheckpointFormat.checksumAttribute, .string(Checksum.format(plan.checksum)))
        let bytes = plan.shape.reduce(1, *) * plan.dtype.size
        if bytes > 0, let offset = dataset.dataOffset() { ranges.list.append(offset..<(offset + bytes)) }
    }
}

/// File ranges holding tensor bytes, in write order.
final class TensorRanges {
    var list: [Range<Int>] = []
}

/// One hash result, written by a worker and read after its DispatchGroup completes.
final class HashBox: @unchecked Sendable {
    var value: UInt64 = 0
}

func childPath(_ parent: String, _ name: String) -> String {
    parent == "/" ? "/" + name : parent + "/" + name
}

extension DType {
    /// The HDF5 element type a tensor of this dtype is stored as: the one of the same name,
    /// except bfloat16, stored as its uint16 bit patterns with a `__ckpt_dtype__` attribute
    /// (`DTypeTableTests`).
    var hdf5Type: HDF5ElementType {
        switch self {
        case .bfloat16: .uint16
        case .float32: .float32
        case .float64: .float64
        case .float16: .float16
        case .int64: .int64
        case .int32: .int32
        case .int16: .int16
        case .int8: .int8
        case .uint8: .uint8
        case .bool: .bool
        }
    }

    /// True for the dtypes whose HDF5 type does not name them (bfloat16).
    var needsDTypeAttribute: Bool { self == .bfloat16 }

    /// The `DType` named like `t`; nil for the HDF5 types no state-dict tensor holds.
    /// `dtypeAttribute` is the dataset's `__ckpt_dtype__` (only `"bfloat16"` over uint16).
    init?(_ t: HDF5ElementType, dtypeAttribute: String? = nil) {
        if let dtypeAttribute {
            guard dtypeAttribute == DType.bfloat16.rawValue, t == .uint16 else { return nil }
            self = .bfloat16
        } else {
            self.init(rawValue: t.rawValue)
        }
    }
}
