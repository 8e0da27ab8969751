#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CkptCore

/// What `CheckpointDiff` compares and what it leaves out.
public struct DiffOptions: Sendable, Equatable {
    public var tolerance: Tolerance
    /// Paths to leave out, each a section (`rng`), a subtree (`optimizer/state`) or one entry
    /// (`model/fc3.bias`). A leading `/` is ignored; matching is by whole path components.
    public var exclude: [String]

    public init(tolerance: Tolerance = .exact, exclude: [String] = []) {
        self.tolerance = tolerance
        self.exclude = exclude.map(Self.trimmingSlashes)
    }

    private static func trimmingSlashes(_ path: String) -> String {
        var s = Substring(path)
        while s.hasPrefix("/") { s = s.dropFirst() }
        while s.hasSuffix("/") { s = s.dropLast() }
        return String(s)
    }

    /// Whether `path` is excluded (equal to, or below, an excluded path).
    public func excludes(_ path: String) -> Bool {
        exclude.contains { $0.isEmpty || path == $0 || path.hasPrefix($0 + "/") }
    }
}

/// A checkpoint-aware comparison of two checkpoints `a` and `b` (the reference).
///
/// Every section is walked in `a`'s key order, then `b`'s extra keys, so the same pair always
/// gives the same result. Paths name entries as the format lays them out:
/// `model/conv1.weight`, `optimizer/state/0/exp_avg`, `optimizer/param_groups/0/lr`,
/// `scheduler/_schedulers/1/gamma`, `progress/epoch`, `metadata/format_version`; the run
/// config (JSON text) is compared key by key: `metadata/config/optimizer/lr`. Lists of dicts
/// (`param_groups`, `_schedulers`) are walked by index; other lists (`betas`, `base_lrs`,
/// `params`) are compared as one value.
///
/// Differences: a tensor only in one side, a shape or dtype mismatch, a tensor with elements
/// not close under the tolerance, a non-tensor value that differs (doubles compare by value
/// within the tolerance), a dict whose key type or class differs (reported at the dict's path
/// as "Counter with int keys" vs "dict with str keys"), and a step where the `progress/lr` or `progress/loss` histories
/// differ. `metadata/created_at` and `metadata/created_by` are reported in `creation` and
/// never count, so a resumed run compares identical to an uninterrupted one.
public struct CheckpointDiff: Sendable {
    /// One tensor present in either checkpoint.
    public struct TensorEntry: Sendable, Equatable {
        public var path: String
        public var a: TensorSummary?
        public var b: TensorSummary?
        /// Element-wise comparison; `nil` when a side is missing or the shapes differ.
        public var difference: TensorDifference?
        /// The first differing element of each side, exactly as stored (`.int` for integer
        /// dtypes, whose values a double could round; `.double` for floats; `.bool`).
        public var firstElements: (a: StateValue, b: StateValue)?
        /// Position in the walk (tensors, values and histories share one count), so a caller
        /// can find the first difference of a section in key order.
        public var ordinal = 0

        public static func == (l: Self, r: Self) -> Bool {
            l.path == r.path && l.a == r.a && l.b == r.b && l.difference == r.difference
                && l.firstElements?.a == r.firstElements?.a && l.firstElements?.b == r.firstElements?.b
        }

        public var onlyInA: Bool { b == nil }
        public var onlyInB: Bool { a == nil }
        public var shapeDiffers: Bool { a != nil && b != nil && a!.shape != b!.shape }
        public var dtypeDiffers: Bool { a != nil && b != nil && a!.dtype != b!.dtype }
        public var isDifference: Bool {
            a == nil || b == nil || shapeDiffers || dtypeDiffers || !(difference?.isClose ?? false)
        }
    }

    /// Dtype and shape of one tensor.
    public struct TensorSummary: Sendable, Equatable {
        public var dtype: DType
        public var shape: [Int]
        public init(_ t: TensorData) { dtype = t.dtype; shape = t.shape }
    }

    /// One non-tensor value (hyperparameter, scheduler key, counter, config) on both sides.
    public struct ValueEntry: Sendable, Equatable {
        public var path: String
        public var a: StateValue?
        public var b: StateValue?
        public var differs: Bool
        /// Position in the walk, as `TensorEntry.ordinal`.
        public var ordinal = 0
    }

    /// `progress/lr` (`[steps, groups]`) or `progress/loss` (`[steps]`) compared step by step.
    public struct HistoryEntry: Sendable, Equatable {
        public var path: String
        public var stepsA: Int
        public var stepsB: Int
        public var groupsA: Int
        public var groupsB: Int
        /// The first side's dtype (float64 for lr, float32 for loss), for printing values.
        public var dtype: DType = .float64
        /// Steps (in the common prefix) where some group's value differs.
        public var differingSteps: Int
        /// The first difference: `step` is 1-based (the optimizer step that used the value,
        /// row `step - 1`); values are `nil` past the end of the shorter history.
        public var first: FirstDifference?
        /// Position in the walk, as `TensorEntry.ordinal`.
        public var ordinal = 0

        public struct FirstDifference: Sendable, Equatable {
            public var step: Int
            public var group: Int
            public var a: Double?
            public var b: Double?
        }

        public var isDifference: Bool { first != nil || groupsA != groupsB }
    }

    public var options: DiffOptions
    public var tensors: [TensorEntry] = []
    public var values: [ValueEntry] = []
    public var histories: [HistoryEntry] = []
    /// `created_at` and `created_by` of both sides (and `format`, `format_version` when one
    /// side is not a ckpt file): shown, never a difference.
    public var creation: [ValueEntry] = []
    /// Entries made so far: the next entry's `ordinal`.
    private var walked = 0

    /// The number of differences: tensors, values and histories that differ.
    public var differenceCount: Int {
        tensors.filter(\.isDifference).count + values.filter(\.differs).count
            + histories.filter(\.isDifference).count
    }

    public var isIdentical: Bool { differenceCount == 0 }

    /// Sections compared, in this order.
    public static let sections = ["metadata", "model", "optimizer", "scheduler", "progress", "rng", "averaged_model", "swa_scheduler", "optimizers"]
    /// Root attributes that describe the file's creation, never differences.
    public static let creationKeys: Set<String> = ["created_at", "created_by", "run_id"]
    /// Root attributes of ckpt's format (`format`, `format_version`): facts of the file, not
    /// of its content, when only one side has them (a .pt, .safetensors or DCP file against
    /// a ckpt file), so the same tensors in two formats diff as identical.
    public static let formatKeys: Set<String> = ["format", "format_version"]

    public init(_ a: Checkpoint, _ b: Checkpoint, options: DiffOptions = DiffOptions()) {
        // Outlines of checkpoints in memory defer nothing, so no tensor is read: cannot throw.
        self = try! CheckpointDiff(CheckpointOutline(a), CheckpointOutline(b), options: options)
    }

    /// The same comparison over outlines (`CheckpointFile.outline`): the walk sees stand-ins
    /// and reads each deferred tensor when it is compared, one pair at a time, so memory
    /// holds two tensors, not two files. Throws what reading a tensor throws. Tensors never
    /// compared (one side only, excluded) are not read: `checkRemaining()` checks them.
    public init(_ a: CheckpointOutline, _ b: CheckpointOutline, options: DiffOptions = DiffOptions()) throws {
        self.options = options
        self.outlines = (a, b)
        for section in Self.sections {
            guard !options.excludes(section) else { continue }
            let x = a.checkpoint.section(named: section), y = b.checkpoint.section(named: section)
            if x == nil && y == nil { continue }
            if section == "metadata" {
                try compareMetadata(x ?? [:], y ?? [:])
            } else if section == "progress" {
                try compareProgress(x, y)
            } else {
                try compareDicts(x, y, path: section)
            }
        }
        self.outlines = nil
    }

    /// Where the compared tensors' bytes come from while `init` runs (cleared after).
    private nonisolated(unsafe) var outlines: (CheckpointOutline, CheckpointOutline)?

    private mutating func compareMetadata(_ a: StateDict, _ b: StateDict) throws {
        for key in mergedKeys(a, b) {
            let path = "metadata/" + key
            guard !options.excludes(path) else { continue }
            if Self.creationKeys.contains(key) || (Self.formatKeys.contains(key) && (a[key] == nil) != (b[key] == nil)) {
                creation.append(ValueEntry(path: path, a: a[key], b: b[key], differs: false))
            } else if key == "config", let x = Self.parsedConfig(a[key]), let y = Self.parsedConfig(b[key]) {
                // Key by key, so one changed setting is named (and can be excluded).
                try compareDicts(x, y, path: path)
            } else {
                compareValue(a[key], b[key], path: path)
            }
        }
    }

    /// The run config (JSON text) as a dict, when it parses as a JSON object.
    static func parsedConfig(_ v: StateValue?) -> StateDict? {
        guard let text = v?.stringValue else { return nil }
        return (try? JSON.parse(text))?.dictValue
    }

    private mutating func compareProgress(_ a: StateDict?, _ b: StateDict?) throws {
        var rest = (a ?? [:], b ?? [:])
        for key in ["lr", "loss"] {
            let path = "progress/" + key
            let x = rest.0.removeValue(forKey: key)?.tensorValue
            let y = rest.1.removeValue(forKey: key)?.tensorValue
            guard !options.excludes(path), x != nil || y != nil else { continue }
            if let x, let y, x.shape.count == y.shape.count, x.shape.count <= 2 {
                var entry = Self.compareHistory(x, y, path: path, tolerance: options.tolerance)
                entry.ordinal = walked
                walked += 1
                histories.append(entry)
            } else {
                try compareTensor(x, y, path: path)
            }
        }
        try compareDicts(a == nil ? nil : rest.0, b == nil ? nil : rest.1, path: "progress")
    }

    private mutating func compareDicts(_ a: StateDict?, _ b: StateDict?, path: String) throws {
        for key in mergedKeys(a ?? [:], b ?? [:]) {
            try compare(a?[key], b?[key], path: path + "/" + key)
        }
    }

    private mutating func compare(_ a: StateValue?, _ b: StateValue?, path: String) throws {
        guard !options.excludes(path) else { return }
        switch (a, b) {
        case (.dict(let x)?, .dict(let y)?):
            if Self.dictType(x) != Self.dictType(y) {
                // `{2: 1}`, `{"2": 1}` and `Counter({2: 1})` differ to Python (and to PyTorch).
                compareValue(.string(Self.dictType(x)), .string(Self.dictType(y)), path: path)
            }
            try compareDicts(x, y, path: path)
        case (.dict(let x)?, nil): try compareDicts(x, nil, path: path)
        case (nil, .dict(let y)?): try compareDicts(nil, y, path: path)
        case (.tensor(let x)?, .tensor(let y)?): try compareTensor(x, y, path: path)
        case (.tensor(let x)?, nil): try compareTensor(x, nil, path: path)
        case (nil, .tensor(let y)?): try compareTensor(nil, y, path: path)
        default:
            if let x = a?.arrayValue, let y = b?.arrayValue, isDictList(x), isDictList(y) {
                for i in 0..<max(x.count, y.count) {
                    try compare(i < x.count ? x[i] : nil, i < y.count ? y[i] : nil, path: path + "/\(i)")
                }
            } else if let x = a?.arrayValue, b == nil, isDictList(x) {
                for i in x.indices { try compare(x[i], nil, path: path + "/\(i)") }
            } else if let y = b?.arrayValue, a == nil, isDictList(y) {
                for i in y.indices { try compare(nil, y[i], path: path + "/\(i)") }
            } else {
                compareValue(a, b, path: path)
            }
        }
    }

    private func isDictList(_ items: [StateValue]) -> Bool {
        !items.isEmpty && items.allSatisfy { $0.dictValue != nil }
    }

    private mutating func compareTensor(_ a: TensorData?, _ b: TensorData?, path: String) throws {
        var entry = TensorEntry(path: path, a: a.map(TensorSummary.init), b: b.map(TensorSummary.init))
        entry.ordinal = walked
        walked += 1
        if let a, let b, a.shape == b.shape, let (x, y) = outlines {
            // Stand-ins are read here, one pair at a time, into buffers reused for the next pair.
            let tolerance = options.tolerance
            let count = CheckpointOutline.elementCount(a)
            var difference = TensorDifference()
            var first: (a: StateValue, b: StateValue)?
            try x.withBytes(of: a, at: path) { ra in
                try y.withBytes(of: b, at: path) { rb in
                    difference = TensorComparison.compare(ra, a.dtype, rb, b.dtype, count: count, tolerance: tolerance)
                    if tolerance.bitwise, difference.isClose,
                       a.dtype != b.dtype || ra.count != rb.count || (ra.count > 0 && memcmp(ra.baseAddress!, rb.baseAddress!, ra.count) != 0) {
                        // Equal values, other bits (signed zeros, NaN payloads) or another dtype.
                        difference.differing = 1
                    }
                    if let i = difference.first?.index {
                        first = (TensorComparison.element(ra, a.dtype, at: i), TensorComparison.element(rb, b.dtype, at: i))
                    }
                }
            }
            entry.difference = difference
            entry.firstElements = first
        }
        tensors.append(entry)
    }

    private mutating func compareValue(_ a: StateValue?, _ b: StateValue?, path: String) {
        let differs: Bool
        if let a, let b { differs = !Self.valuesClose(a, b, options.tolerance) } else { differs = true }
        values.append(ValueEntry(path: path, a: a, b: b, differs: differs, ordinal: walked))
        walked += 1
    }

    /// Non-tensor values: same kind and structure, numbers close under `tolerance` (ints and
    /// bools exactly), strings and `None` equal. `int 0` and `double 0.0` differ in kind, as
    /// PyTorch keeps them apart.
    static func valuesClose(_ a: StateValue, _ b: StateValue, _ t: Tolerance) -> Bool {
        switch (a, b) {
        case (.double(let x), .double(let y)): return t.isClose(x, y)
        case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { valuesClose($0, $1, t) }
        case (.dict(let x), .dict(let y)):
            return dictType(x) == dictType(y) && x.keys == y.keys && zip(x.keys, y.keys).allSatisfy { valuesClose(x[$0]!, y[$1]!, t) }
        case (.tensor(let x), .tensor(let y)):
            if t.bitwise { return x.bitwiseEqual(y) }
            return x.dtype == y.dtype && (TensorComparison.compare(x, y, tolerance: t)?.isClose ?? false)
        default: return a == b
        }
    }

    /// A dict's Python type: "dict with str keys", "Counter with int keys", ...
    static func dictType(_ d: StateDict) -> String {
        "\(d.pythonClass?.rawValue ?? "dict") with \(d.keyKind.rawValue) keys"
    }

    /// Step-by-step comparison of a history tensor (`[steps]` or `[steps, groups]`).
    static func compareHistory(_ a: TensorData, _ b: TensorData, path: String, tolerance: Tolerance) -> HistoryEntry {
        let stepsA = a.shape.first ?? 1, stepsB = b.shape.first ?? 1
        let groupsA = a.shape.count == 2 ? a.shape[1] : 1
        let groupsB = b.shape.count == 2 ? b.shape[1] : 1
        var entry = HistoryEntry(path: path, stepsA: stepsA, stepsB: stepsB, groupsA: groupsA,
                                 groupsB: groupsB, dtype: a.dtype, differingSteps: 0, first: nil)
        let x = a.doubleElements, y = b.doubleElements
        let groups = min(groupsA, groupsB)
        for s in 0..<min(stepsA, stepsB) {
            var stepDiffers = false
            for g in 0..<groups {
                let u = x[s * groupsA + g], v = y[s * groupsB + g]
                if !tolerance.isClose(u, v) {
                    stepDiffers = true
                    if entry.first == nil { entry.first = .init(step: s + 1, group: g, a: u, b: v) }
                }
            }
            if stepDiffers { entry.differingSteps += 1 }
        }
        if entry.first == nil, stepsA != stepsB {
            let s = min(stepsA, stepsB)
            entry.first = .init(step: s + 1, group: 0,
                                a: s < stepsA && groupsA > 0 ? x[s * groupsA] : nil,
                                b: s < stepsB && groupsB > 0 ? y[s * groupsB] : nil)
        }
        return entry
    }

    private func mergedKeys(_ a: StateDict, _ b: StateDict) -> [String] {
        var keys = a.keys
        let seen = Set(keys)
        keys += b.keys.filter { !seen.contains($0) }
        return keys
    }
}

extension TensorData {
    /// Element `i` (row-major) as the Python scalar it would be: `.int`, `.double` or `.bool`.
    public func element(at i: Int) -> StateValue {
        switch storage {
        case .float32(let x): .double(Double(x[i]))
        case .float64(let x): .double(x[i])
        case .float16(let x): x.withUnsafeBytes { TensorComparison.element($0, .float16, at: i) }
        case .bfloat16(let x): .double(Double(Float(bfloat16Bits: x[i])))
        case .int64(let x): .int(x[i])
        case .int32(let x): .int(Int64(x[i]))
        case .int16(let x): .int(Int64(x[i]))
        case .int8(let x): .int(Int64(x[i]))
        case .uint8(let x): .int(Int64(x[i]))
        case .bool(let x): .bool(x[i])
        }
    }
}


