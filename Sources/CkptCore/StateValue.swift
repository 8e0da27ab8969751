import OrderedCollections

/// One value of a state dict: anything PyTorch's `state_dict()` can hold.
///
/// Python's types map one to one: `torch.Tensor` → `.tensor`, `int` → `.int`,
/// `float` → `.double`, `bool` → `.bool`, `str` → `.string`, `None` → `.none`,
/// `list` → `.list`, `tuple` → `.tuple` (Adam's `betas`), `dict` → `.dict`, whose `StateDict`
/// keeps whether the keys are ints and whether it is a `Counter`.
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
        case .dict(let d): d.pythonClass?.rawValue ?? "dict"
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

/// An insertion-ordered dictionary of `StateValue`s: the one tree type that model, optimizer
/// and scheduler state all pass through (PyTorch's `state_dict()` result).
///
/// Keys are stored as strings. `keyKind` says which Python type they have: `.string`, or
/// `.int`, where each key is the canonical decimal form of a Python int ("0", "12", "-3"), as
/// PyTorch's optimizer `state` (parameter indices) and MultiStepLR's `milestones` have them.
/// `pythonClass` names a `dict` subclass the value is (`collections.Counter`). Both take part
/// in equality, as `{2: 1}` and `{"2": 1}` are different dicts to Python (and to PyTorch's
/// `last_epoch in milestones`). Every String-keyed API works for both kinds.
public struct StateDict: Sendable, Equatable, Sequence {
    /// The Python type of a dict's keys.
    public enum KeyKind: String, Sendable {
        /// `str` keys (the default).
        case string = "str"
        /// `int` keys, each stored as its canonical decimal form.
        case int
    }

    /// A `dict` subclass from Python's `collections` that PyTorch state holds.
    public enum PythonClass: String, Sendable {
        /// `collections.Counter` (MultiStepLR's `milestones`).
        case counter = "Counter"
    }

    public internal(set) var entries: OrderedDictionary<String, StateValue>
    /// The Python type of the keys; `.int` keys must be canonical decimals (`intKey(_:)`), which
    /// the format's writer and reader enforce.
    public var keyKind: KeyKind = .string
    /// The dict subclass, or nil for a plain `dict`.
    public var pythonClass: PythonClass?

    public init() { entries = [:] }
    public init(_ entries: OrderedDictionary<String, StateValue>) { self.entries = entries }
    public init(_ pairs: [(String, StateValue)]) {
        entries = OrderedDictionary(uniqueKeysWithValues: pairs)
    }

    /// A dict with Python int keys (`keyKind == .int`), e.g. `Counter({2: 2, 5: 1})`.
    public init(intKeys pairs: [(Int64, StateValue)], pythonClass: PythonClass? = nil) {
        entries = OrderedDictionary(uniqueKeysWithValues: pairs.map { (String($0.0), $0.1) })
        keyKind = .int
        self.pythonClass = pythonClass
    }

    public subscript(key: String) -> StateValue? {
        get { entries[key] }
        set { entries[key] = newValue }
    }

    /// The value under the Python int key `key` (its decimal form).
    public subscript(int key: Int64) -> StateValue? {
        get { entries[String(key)] }
        set { entries[String(key)] = newValue }
    }

    public var keys: [String] { Array(entries.keys) }
    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// The keys as Python ints, when `keyKind == .int` and every key is canonical.
    public var intKeys: [Int64]? {
        guard keyKind == .int else { return nil }
        let ints = entries.keys.compactMap(Self.intKey)
        return ints.count == entries.count ? ints : nil
    }

    /// `key` as a Python int when it is the canonical decimal form of one ("7", "-3"; not
    /// "07", "+7", "-0" or " 7"), the only spelling an int key has in a state dict or a file.
    public static func intKey(_ key: String) -> Int64? {
        guard let i = Int64(key), String(i) == key else { return nil }
        return i
    }

    public func makeIterator() -> some IteratorProtocol<(key: String, value: StateValue)> {
        entries.lazy.map { (key: $0.key, value: $0.value) }.makeIterator()
    }

    public mutating func removeValue(forKey key: String) -> StateValue? {
        entries.removeValue(forKey: key)
    }

    /// The same keys (and key kind and class) with every value transformed.
    public func mapEntries(_ transform: (String, StateValue) throws -> StateValue) rethrows -> StateDict {
        var out = StateDict(try OrderedDictionary(uniqueKeysWithValues: entries.map { ($0.key, try transform($0.key, $0.value)) }))
        out.keyKind = keyKind
        out.pythonClass = pythonClass
        return out
    }

    /// Bitwise equality of keys (in order, with their kind and the dict's class) and values.
    public func bitwiseEqual(_ other: StateDict) -> Bool {
        guard keyKind == other.keyKind, pythonClass == other.pythonClass,
              entries.keys.elementsEqual(other.entries.keys) else { return false }
        return zip(entries.values, other.entries.values).allSatisfy { $0.bitwiseEqual($1) }
    }
}

extension StateDict: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, StateValue)...) { self.init(elements) }
}
