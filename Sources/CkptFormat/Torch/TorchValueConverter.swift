import CkptCore

/// Converts the unpickled `PickleValue` tree into the one `StateValue` tree every reader
/// produces, materialising tensors on the way: `dict`/`OrderedDict` → a `StateDict` in
/// insertion order (int keys stay int keys: `keyKind == .int`), `Counter` → a `StateDict`
/// with `pythonClass == .counter`, `list` → `.list`, `tuple` and `torch.Size` → `.tuple`.
///
/// Values no `StateValue` holds (bytes, sets, complex numbers, devices, dtype objects, bare
/// globals or storages, a dict mixing str and int keys) are errors naming their path.
/// Depth is bounded (`maxDepth`, which also ends a cyclic structure a crafted memo can
/// build) and so is the number of values visited (`maxNodes`, which ends a DAG that shares
/// subtrees to explode into a tree).
struct TorchValueConverter {
    static let maxDepth = 256
    static let defaultMaxNodes = 10_000_000

    var tensors: TorchTensorMaterializer
    let file: String
    var nodes = 0
    /// Values visited before the conversion is refused (a parameter for tests).
    var maxNodes = Self.defaultMaxNodes

    init(tensors: TorchTensorMaterializer, file: String) {
        self.tensors = tensors
        self.file = file
    }

    /// The tree under `v`; `path` is where `v` sits (kept as a stack, joined only for errors).
    mutating func convert(_ v: PickleValue) throws -> StateValue {
        var path: [String] = []
        return try convert(v, path: &path)
    }

    private mutating func convert(_ v: PickleValue, path: inout [String]) throws -> StateValue {
        let file = self.file
        func bad(_ reason: String) -> CheckpointError {
            let at = path.isEmpty ? "/" : path.count > 8
                ? path.prefix(8).joined(separator: "/") + "/... (\(path.count) levels)" : path.joined(separator: "/")
            return .malformed(file: file, path: at, reason: reason)
        }
        guard path.count <= Self.maxDepth else { throw bad("values nested deeper than \(Self.maxDepth) levels (or a structure that contains itself)") }
        nodes += 1
        guard nodes <= maxNodes else { throw bad("more than \(maxNodes) values (a shared structure repeated too often)") }
        func child(_ name: String, _ value: PickleValue) throws -> StateValue {
            path.append(name)
            defer { path.removeLast() }
            return try convert(value, path: &path)
        }
        switch v {
        case .none: return .none
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .tuple(let t):
            let items = t.items
            var out: [StateValue] = []
            out.reserveCapacity(items.count)
            for (i, item) in items.enumerated() { out.append(try child(String(i), item)) }
            return .tuple(out)
        case .list(let l):
            var out: [StateValue] = []
            out.reserveCapacity(l.items.count)
            for (i, item) in l.items.enumerated() { out.append(try child(String(i), item)) }
            return .list(out)
        case .dict(let d):
            var out = StateDict()
            let ints = d.keys.allSatisfy { if case .int = $0 { true } else { false } }
            let strings = d.keys.allSatisfy { if case .string = $0 { true } else { false } }
            guard ints || strings else { throw bad("a dict mixing str and int keys; ckpt's state dicts hold one key type per dict") }
            if ints && !d.keys.isEmpty { out.keyKind = .int }
            if d.kind == .counter { out.pythonClass = .counter }
            for (k, value) in zip(d.keys, d.values) {
                let name: String
                switch k {
                case .string(let s): name = s
                case .int(let i): name = String(i)
                }
                out[name] = try child(name, value)
            }
            return .dict(out)
        case .tensor(let t):
            if let m = t.materialized { return .tensor(m) }
            let at = path.isEmpty ? "/" : path.joined(separator: "/")
            return .tensor(try tensors.tensor(t, path: at))
        case .bytes: throw bad("a bytes value; no state-dict value in ckpt holds bytes")
        case .set: throw bad("a set; no state-dict value in ckpt holds a set")
        case .global(let g): throw bad("a bare reference to `\(g.fullName)` (a class or function object, not data)")
        case .storage(let s): throw bad("a bare storage (data/\(s.key)) outside a tensor")
        case .opaque(let what): throw bad("a \(what) value; no state-dict value in ckpt holds one")
        }
    }
}
