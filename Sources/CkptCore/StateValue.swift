import OrderedCollections

/// One value of a state dict: anything PyTorch's `state_dict()` can hold.
///
/// Python's types map one to one: `torch.Tensor` → `.tensor`, `int` → `.int`,
/// `float` → `.double`, `bool` → `.bool`, `str` → `.string`, `None` → `.none`,
/// `list` → `.list`, `tuple` → `.tuple` (Adam's `betas`), `dict` → `.dict`.
/// Ints and doubles are distinct because PyTorch keeps `momentum=0` as the int 0.
public indirect enum StateValue: Sendable, Equatable {
    case tensor(TensorData)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case string(String)
    case none
    case list([StateValue])
    case tuple([StateValue])
    case dict(StateDict)
}

extension StateValue {
    /// The value as a Python number would convert to a double (`int`, `float`, `bool`).
    public var doubleValue: Double? {
        switch self {
        case .double(let d): d
        case .int(let i): Double(i)
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }

    public var intValue: Int64? {
        switch self {
        case .int(let i): i
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }

    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var tensorValue: TensorData? { if case .tensor(let t) = self { t } else { nil } }
    public var dictValue: StateDict? { if case .dict(let d) = self { d } else { nil } }
    public var isNone: Bool { if case .none = self { true } else { false } }

    /// Elements of a list or a tuple.
    public var arrayValue: [StateValue]? {
        switch self {
        case .list(let a), .tuple(let a): a
        default: nil
        }
    }

    /// A short name of the value's kind, for error messages ("expected double, found string").
    public var kindName: String {
        switch self {
        case .tensor(let t): "tensor(\(t.dtype.rawValue), \(t.shape))"
        case .int: "int"
        case .double: "double"
        case .bool: "bool"
        case .string: "string"
        case .none: "None"
        case .list: "list"
        case .tuple: "tuple"
        case .dict: "dict"
        }
    }

    /// Bitwise equality: doubles compare by bit pattern, tensors with `TensorData.bitwiseEqual`.
    public func bitwiseEqual(_ other: StateValue) -> Bool {
        switch (self, other) {
        case (.tensor(let a), .tensor(let b)): return a.bitwiseEqual(b)
        case (.double(let a), .double(let b)): return a.bitPattern == b.bitPattern
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.bitwiseEqual($1) }
        case (.dict(let a), .dict(let b)): return a.bitwiseEqual(b)
        default: return self == other
        }
    }
}

extension StateValue: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByStringLiteral, ExpressibleByNilLiteral
{
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(nilLiteral: ()) { self = .none }
}

/// An insertion-ordered, string-keyed dictionary of `StateValue`s: the one tree type that
/// model, optimizer and scheduler state all pass through (PyTorch's `state_dict()` result).
///
/// Keys are strings; PyTorch's integer keys (optimizer `state` indices) are their decimal
/// form ("0", "1", ...), as they appear as group names in the format.
public struct StateDict: Sendable, Equatable, Sequence {
    public private(set) var entries: OrderedDictionary<String, StateValue>

    public init() { entries = [:] }
    public init(_ entries: OrderedDictionary<String, StateValue>) { self.entries = entries }
    public init(_ pairs: [(String, StateValue)]) {
        entries = OrderedDictionary(uniqueKeysWithValues: pairs)
    }

    public subscript(key: String) -> StateValue? {
        get { entries[key] }
        set { entries[key] = newValue }
    }

    public var keys: [String] { Array(entries.keys) }
    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    public func makeIterator() -> some IteratorProtocol<(key: String, value: StateValue)> {
        entries.lazy.map { (key: $0.key, value: $0.value) }.makeIterator()
    }

    public mutating func removeValue(forKey key: String) -> StateValue? {
        entries.removeValue(forKey: key)
    }

    /// Bitwise equality of keys (in order) and values.
    public func bitwiseEqual(_ other: StateDict) -> Bool {
        guard entries.keys.elementsEqual(other.entries.keys) else { return false }
        return zip(entries.values, other.entries.values).allSatisfy { $0.bitwiseEqual($1) }
    }
}

extension StateDict: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, StateValue)...) { self.init(elements) }
}
