/// Something the isolated rebuild (`HDF5Probe.rebuild`) could not read in the original file,
/// kept where the reader would meet it. A file opened with `HDF5File.openRebuilt` throws the
/// finding's error from the call that would have failed on the original (listing a group's
/// links, reading an attribute, inspecting a link, reading a dataset), so errors surface in the
/// reader's own order and words; the copy holds an empty stand-in there.
public struct HDF5Finding: Equatable, Sendable {
    /// Which call replays it.
    public enum Scope: Character, Sendable {
        /// The file cannot be opened (`HDF5Probe.Outcome.refused`).
        case file = "F"
        /// `HDF5Object.attributeNames` of the object at `path`.
        case attributes = "A"
        /// `HDF5Object.readAttribute(name)` of the object at `path`.
        case attribute = "a"
        /// `HDF5Group.childNames` of the group at `path`.
        case links = "L"
        /// `HDF5Group.childKind` (and so `openGroup` / `openDataset`) of the link at `path`.
        case link = "k"
        /// `HDF5Dataset.checkPlausible` of the dataset at `path` (its size or layout).
        case plausibility = "P"
        /// Reading the data of the dataset at `path` (`HDF5Dataset.read`, `readStrings`).
        case data = "D"
        /// Writing the copy failed (`HDF5Probe.Outcome.copyFailed`).
        case write = "W"
    }

    public var scope: Scope
    public var path: String
    /// The attribute's name (`.attribute`), else "".
    public var name: String
    public var operation: String
    public var reason: String

    public init(scope: Scope, path: String, name: String = "", operation: String, reason: String) {
        self.scope = scope
        self.path = path
        self.name = name
        self.operation = operation
        self.reason = reason
    }

    /// The error the reader would have met, naming `file` (the original's path).
    public func error(file: String) -> HDF5Error {
        let op = scope == .attribute ? "\(operation) '\(name)'" : operation
        return HDF5Error(file: file, path: path, operation: op, reason: condensedReason(reason))
    }

    /// Parses the child's records (five NUL-terminated fields each); a torn tail is dropped.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> [HDF5Finding] {
        var fields: [String] = []
        var start = 0
        for i in 0..<bytes.count where bytes[i] == 0 {
            fields.append(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
            start = i + 1
        }
        var out: [HDF5Finding] = []
        var i = 0
        while i + 5 <= fields.count {
            if let c = fields[i].first, fields[i].count == 1, let scope = Scope(rawValue: c) {
                out.append(HDF5Finding(scope: scope, path: fields[i + 1], name: fields[i + 2],
                                       operation: fields[i + 3], reason: fields[i + 4]))
            }
            i += 5
        }
        return out
    }
}

/// The findings of one rebuilt file, by where they replay.
struct HDF5Findings {
    private var byKey: [String: HDF5Finding] = [:]

    init(_ findings: [HDF5Finding]) {
        for f in findings where byKey[Self.key(f.scope, f.path, f.name)] == nil {
            byKey[Self.key(f.scope, f.path, f.name)] = f
        }
    }

    func finding(_ scope: HDF5Finding.Scope, _ path: String, _ name: String = "") -> HDF5Finding? {
        byKey[Self.key(scope, path, name)]
    }

    private static func key(_ scope: HDF5Finding.Scope, _ path: String, _ name: String) -> String {
        "\(scope.rawValue)\u{0}\(path)\u{0}\(name)"
    }
}
