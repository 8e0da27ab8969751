import CkptCore

/// What the restricted unpickler builds: Python's values as data, never objects with
/// behaviour. Lists and dicts are reference types because pickle mutates them after they are
/// memoised (`EMPTY_LIST, BINPUT 1, MARK, ..., APPENDS` fills the memoised list).
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    /// `bytes` (from `_codecs.encode(str, "latin1")` in protocol 2, or `bytearray`).
    case bytes([UInt8])
    case tuple(PickleSequence)
    case list(PickleList)
    case dict(PickleDict)
    /// A `set` or `frozenset` (no StateValue holds one; refused when converted).
    case set(PickleSequence)
    /// An allowlisted global not yet called: a class or a rebuild function.
    case global(PickleGlobal)
    /// A storage loaded through a persistent id (`("storage", FloatStorage, "3", "cpu", n)`).
    case storage(TorchStorageRef)
    /// A tensor whose geometry is checked and whose elements are read when converted.
    case tensor(TorchTensorRef)
    /// A value PyTorch's loader accepts that no `StateValue` holds (a complex number, a
    /// `torch.device`, a dtype object): converting it is an error naming what it is.
    case opaque(String)

    /// Python's name for the value's type, for errors.
    var typeName: String {
        switch self {
        case .none: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .tuple: "tuple"
        case .list: "list"
        case .dict(let d): d.kind.rawValue
        case .set: "set"
        case .global(let g): "global \(g.fullName)"
        case .storage: "storage"
        case .tensor: "torch.Tensor"
        case .opaque(let what): what
        }
    }
}

/// A tuple's or a set's items. A class (though immutable to Python) so that releasing a
/// tree whose tuples share children (a DAG built with the memo) visits each tuple once.
final class PickleSequence {
    var items: [PickleValue]
    init(_ items: [PickleValue]) { self.items = items }
    var count: Int { items.count }
    subscript(i: Int) -> PickleValue { items[i] }
}

/// A Python list being built.
final class PickleList {
    var items: [PickleValue] = []
    init(_ items: [PickleValue] = []) { self.items = items }
}

/// A Python dict, `collections.OrderedDict` or `collections.Counter` being built. Keys are
/// `str` or `int` (the only key types a `StateDict` holds); insertion order is kept and a
/// repeated key replaces the value in place, as Python does.
final class PickleDict {
    enum Kind: String { case dict, orderedDict = "collections.OrderedDict", counter = "collections.Counter" }
    enum Key: Hashable {
        case string(String)
        case int(Int64)
    }

    let kind: Kind
    /// The record class this dict stands for (`PickleGlobal.Role.record`), nil for a dict.
    var className: String?
    /// Entries whose key is a record (DCP's `storage_data`, keyed by `MetadataIndex`), in order.
    private(set) var recordEntries: [(key: PickleValue, value: PickleValue)] = []
    private(set) var keys: [Key] = []
    private(set) var values: [PickleValue] = []
    private var index: [Key: Int] = [:]

    init(_ kind: Kind) { self.kind = kind }

    var count: Int { keys.count }

    func setRecordKeyed(_ key: PickleValue, _ value: PickleValue) { recordEntries.append((key, value)) }

    func removeAll() {
        recordEntries = []
        keys = []
        values = []
        index = [:]
    }

    func set(_ key: Key, _ value: PickleValue) {
        if let i = index[key] {
            values[i] = value
        } else {
            index[key] = keys.count
            keys.append(key)
            values.append(value)
        }
    }
}

/// A global the allowlist resolved (`collections OrderedDict` → `.orderedDict`).
struct PickleGlobal: Equatable {
    enum Role: Equatable {
        case orderedDict, counter, set, frozenset, bytearray, complex, codecsEncode
        case rebuildTensor, rebuildTensorV2, rebuildTensorV3, rebuildParameter, rebuildParameterWithState
        case torchSize, torchDevice
        /// A typed storage class (`torch.FloatStorage`) with its element type.
        case storageClass(TorchElementType)
        /// A dtype object (`torch.float32`).
        case dtype(String)
        /// Allowed by PyTorch's `weights_only` loader but not representable here (quantized,
        /// sparse, meta or subclass tensors, layouts, ...): calling it is an error naming it.
        case unsupported(String)
        /// A plain record class of an extra allowlist (`Pickle.load(allowlist:)`, DCP's
        /// metadata dataclasses): NEWOBJ or REDUCE makes a dict tagged with the class name
        /// (`PickleDict.className`; REDUCE's arguments under `__args__`) that BUILD fills
        /// (a tuple state under `__state__`). No code of the class runs.
        case record(String)
    }

    let module: String
    let name: String
    let role: Role

    var fullName: String { "\(module).\(name)" }
}
