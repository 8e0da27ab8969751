/// An error reading a state dict, a run config or a checkpoint section: `key` is the full path
/// to the value (`scheduler.schedulers[1].gamma`, `progress/lr`), `message` says what was
/// expected and what was found.
///
/// Every typed read of a `StateDict` (configs, optimizer and scheduler state, `/progress`)
/// throws this one type, through `StateDictReader`, so every such message has one shape.
public struct StateDictError: Error, CustomStringConvertible, Equatable, Sendable {
    public var key: String
    public var message: String
    /// The file the value came from, when known (a config file, a checkpoint).
    public var file: String?

    public init(key: String, message: String, file: String? = nil) {
        self.key = key
        self.message = message
        self.file = file
    }

    /// `key: expected <expected>, found <what value is>`.
    public static func mismatch(_ key: String, expected: String, found value: StateValue) -> StateDictError {
        StateDictError(key: key, message: "expected \(expected), found \(value.shortDescription)")
    }

    public var description: String {
        let prefix = file.map { "\($0): " } ?? ""
        return key.isEmpty ? prefix + message : "\(prefix)\(key): \(message)"
    }
}

extension StateValue {
    /// The value as an error message shows it: scalars as JSON (`"4"`, `-1`, `null`),
    /// containers and tensors by kind (`a list`, `an object`, `a float32 tensor [3]`).
    public var shortDescription: String {
        switch self {
        case .none: "null"
        case .list: "a list"
        case .tuple: "a tuple"
        case .dict: "an object"
        case .tensor(let t): "a \(t.dtype.rawValue) tensor \(t.shape)"
        case .double(let d) where !d.isFinite: d.isNaN ? "NaN" : (d > 0 ? "Infinity" : "-Infinity")
        default: JSON.string(self)
        }
    }
}
