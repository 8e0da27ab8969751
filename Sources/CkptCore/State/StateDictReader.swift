/// Typed reads from one `StateDict`, with errors (`StateDictError`) that name the full key path
/// and both sides of a mismatch: `data.batch_size: expected a positive integer, found "4"`.
///
/// The one reader of configs, optimizer and scheduler state and checkpoint sections. A read of
/// an absent key returns nil (the caller supplies PyTorch's default); a present key of the wrong
/// kind throws. Ints and floats stay apart as in Python: `int` accepts only an int, `number` an
/// int or a float, never a bool. The reader remembers which keys were read, so `finish` can
/// reject the unknown ones after the fact.
public final class StateDictReader {
    public let dict: StateDict
    /// The path of `dict` itself ("" at the root).
    public let path: String
    /// Joins path components: "." for configs (`optimizer.lr`), "/" for file sections
    /// (`progress/lr`, as the format lays them out).
    public let separator: String
    public private(set) var used: Set<String> = []

    public init(_ dict: StateDict, path: String = "", separator: String = ".") {
        self.dict = dict
        self.path = path
        self.separator = separator
    }

    /// The full path of `key`.
    public func key(_ key: String) -> String { path.isEmpty ? key : path + separator + key }

    public func error(_ key: String, _ message: String) -> StateDictError {
        StateDictError(key: self.key(key), message: message)
    }

    public func mismatch(_ key: String, expected: String, found value: StateValue) -> StateDictError {
        .mismatch(self.key(key), expected: expected, found: value)
    }

    public func has(_ key: String) -> Bool { dict[key] != nil }

    /// The raw value, marking the key as read.
    public func value(_ key: String) -> StateValue? {
        used.insert(key)
        return dict[key]
    }

    /// The value, or nil when absent or null.
    public func nonNull(_ key: String) -> StateValue? {
        guard let v = value(key), !v.isNone else { return nil }
        return v
    }

    public func required<T>(_ key: String, _ v: T?, _ what: String = "required") throws -> T {
        guard let v else { throw error(key, "missing (\(what))") }
        return v
    }

    // MARK: Scalars

    /// An int in `range` (a bool is not an int here).
    public func int(_ key: String, in range: ClosedRange<Int64> = Int64.min...Int64.max,
                    expected: String = "an int", nullable: Bool = false) throws -> Int? {
        guard let v = nullable ? nonNull(key) : value(key) else { return nil }
        guard case .int(let i) = v, range.contains(i), let n = Int(exactly: i) else {
            throw mismatch(key, expected: expected, found: v)
        }
        return n
    }

    /// A positive int that fits in 32 bits (sizes, counts, intervals).
    public func positiveInt(_ key: String, nullable: Bool = false) throws -> Int? {
        try int(key, in: 1...Int64(Int32.max),
                expected: nullable ? "a positive integer or null" : "a positive integer", nullable: nullable)
    }

    public func nonNegativeInt(_ key: String) throws -> Int? {
        try int(key, in: 0...Int64(Int32.max), expected: "a non-negative integer")
    }

    /// An int or a float, kept as Python has it.
    public func number(_ key: String, nullable: Bool = false) throws -> PyNumber? {
        guard let v = nullable ? nonNull(key) : value(key) else { return nil }
        guard let n = PyNumber(v) else {
            throw mismatch(key, expected: nullable ? "a number or null" : "a number", found: v)
        }
        return n
    }

    public func double(_ key: String, nullable: Bool = false) throws -> Double? {
        try number(key, nullable: nullable)?.value
    }

    /// A Python float only (PyTorch rejects an int where it asks for a float, e.g. `pct_start`).
    public func float(_ key: String) throws -> Double? {
        guard let v = value(key) else { return nil }
        guard case .double(let d) = v else { throw mismatch(key, expected: "a float (such as 0.3)", found: v) }
        return d
    }

    public func bool(_ key: String) throws -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw mismatch(key, expected: "true or false", found: v) }
        return b
    }

    public func string(_ key: String, nullable: Bool = false) throws -> String? {
        guard let v = nullable ? nonNull(key) : value(key) else { return nil }
        guard case .string(let s) = v else { throw mismatch(key, expected: "a string", found: v) }
        return s
    }

    /// One of `T`'s raw values; `default` when absent.
    public func choice<T: RawRepresentable & CaseIterable>(_ key: String, default d: T) throws -> T
    where T.RawValue == String {
        guard let v = value(key) else { return d }
        guard let s = v.stringValue, let c = T(rawValue: s) else {
            let names = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw mismatch(key, expected: "one of \(names)", found: v)
        }
        return c
    }

    // MARK: Lists

    /// A list (or tuple) whose every element `element` converts; errors name `key[i]`.
    public func list<T>(_ key: String, expected: String, _ element: (StateValue) -> T?) throws -> [T]? {
        guard let v = value(key) else { return nil }
        guard let items = v.arrayValue else { throw mismatch(key, expected: expected, found: v) }
        return try items.enumerated().map { i, item in
            guard let x = element(item) else {
                throw StateDictError.mismatch(self.key(key) + "[\(i)]", expected: expected, found: item)
            }
            return x
        }
    }

    public func ints(_ key: String, in range: ClosedRange<Int64> = Int64.min...Int64.max,
                     expected: String = "a list of ints") throws -> [Int]? {
        try list(key, expected: expected) { v in
            if case .int(let i) = v, range.contains(i) { Int(exactly: i) } else { nil }
        }
    }

    /// A list of numbers, kept as Python has them.
    public func numbers(_ key: String) throws -> [PyNumber]? {
        try list(key, expected: "a list of numbers", PyNumber.init)
    }

    public func doubles(_ key: String) throws -> [Double]? { try numbers(key)?.map(\.value) }

    /// One number for every group, or a non-empty list with one per group.
    public func numberOrList(_ key: String) throws -> [Double]? {
        guard let v = value(key) else { return nil }
        if let n = PyNumber(v) { return [n.value] }
        guard let a = v.arrayValue, !a.isEmpty else {
            throw mismatch(key, expected: "a number or a list of numbers", found: v)
        }
        return try list(key, expected: "a number or a list of numbers", PyNumber.init).map { $0.map(\.value) }
    }

    // MARK: Nested values

    /// A nested object as a reader of its own; nil when absent or null.
    public func dict(_ key: String) throws -> StateDictReader? {
        guard let v = nonNull(key) else { return nil }
        guard let d = v.dictValue else { throw mismatch(key, expected: "an object", found: v) }
        return StateDictReader(d, path: self.key(key), separator: separator)
    }

    /// A tensor of `dtype` and rank `rank` (when given).
    public func tensor(_ key: String, dtype: DType? = nil, rank: Int? = nil, expected: String) throws -> TensorData? {
        guard let v = value(key) else { return nil }
        guard let t = v.tensorValue, dtype.map({ $0 == t.dtype }) ?? true, rank.map({ $0 == t.shape.count }) ?? true else {
            throw mismatch(key, expected: expected, found: v)
        }
        return t
    }

    // MARK: Unknown keys

    /// Throws for the first key not in `allowed` (listing them).
    public func allow(_ allowed: Set<String>) throws {
        for k in dict.keys where !allowed.contains(k) {
            throw error(k, "unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    /// Throws for the first key never read, naming `owner` (`unknown key for StepLR`).
    public func finish(_ owner: String, known: [String]? = nil) throws {
        for k in dict.keys where !used.contains(k) {
            let list = known.map { " (expected \($0.joined(separator: ", ")))" } ?? ""
            throw error(k, "unknown key for \(owner)\(list)")
        }
    }
}
