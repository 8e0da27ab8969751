/// A DCP directory's `.metadata` (`torch.distributed.checkpoint.metadata.Metadata`), read
/// without PyTorch: the pickle runs on the restricted unpickler with `DCPAllowlist` only, and
/// its records become these plain values. docs/DCP.md describes the format.
///
/// - `items`: `state_dict_metadata` in its order: per flattened name (`model.fc1.weight`,
///   `optimizer.state.0.exp_avg`) a tensor (dtype, global size, the chunks saved) or a bytes
///   item (any other value, saved as a `torch.save` blob).
/// - `storage`: `storage_data`: where each chunk (`MetadataIndex(fqn, chunk offsets)`) or
///   bytes item (`MetadataIndex(fqn)`) lies: file relative to the directory, byte offset, length.
/// - `paths`: `planner_data`: the original nested key path of each flattened name (int keys
///   stay ints: `("optimizer", "state", 0, "exp_avg")`).
struct DCPMetadata {
    struct Chunk: Equatable {
        var offsets: [Int]
        var sizes: [Int]
    }

    enum Item {
        case tensor(dtype: String, size: [Int], chunks: [Chunk])
        case bytes
    }

    struct Index: Hashable {
        var fqn: String
        /// The chunk's offsets; nil for a bytes item.
        var offset: [Int]?
    }

    struct Location: Equatable {
        var file: String
        var offset: Int
        var length: Int
    }

    enum PathKey: Equatable {
        case string(String)
        case int(Int64)
    }

    var items: [(fqn: String, item: Item)] = []
    var storage: [Index: Location] = [:]
    var paths: [String: [PathKey]] = [:]
    /// `planner_data`'s names in its order: the state dict's own order (rank 0's flattening),
    /// which `state_dict_metadata` loses when several ranks save (each rank's items in turn).
    var order: [String] = []
    var version: String?

    private init() {}

    /// Refused beyond this many bytes of `.metadata`.
    static let maxBytes = 256 << 20

    /// Parses `bytes`, the `.metadata` of directory `dir` (named in errors).
    init(bytes: [UInt8], dir: String) throws {
        let file = dir + "/.metadata"
        func bad(_ path: String, _ reason: String) -> CheckpointError { .malformed(file: file, path: path, reason: reason) }
        let refuseStorage: Pickle.StorageLoader = { key, _, _, _ in
            throw CheckpointError.malformed(file: file, path: "/", reason: "a storage reference (\(key)) in .metadata, which holds no tensors")
        }
        self = try Pickle.load(bytes, file: file, entry: ".metadata", allowlist: DCPAllowlist.resolve, storages: refuseStorage) { root in
            var m = DCPMetadata()
            guard case .dict(let md) = root, md.className == "Metadata" else {
                throw bad("/", "the pickle holds \(root.typeName), not a torch.distributed.checkpoint Metadata")
            }
            guard case .dict(let sdm)? = md[string: "state_dict_metadata"] else {
                throw bad("state_dict_metadata", "missing or not a dict")
            }
            for (k, v) in zip(sdm.keys, sdm.values) {
                guard case .string(let fqn) = k else { throw bad("state_dict_metadata", "a key that is not a str") }
                guard case .dict(let r) = v else { throw bad(fqn, "metadata is \(v.typeName), not a storage record") }
                switch r.className {
                case "BytesStorageMetadata":
                    m.items.append((fqn, .bytes))
                case "TensorStorageMetadata":
                    m.items.append((fqn, try Self.tensorItem(r, fqn: fqn, bad: bad)))
                default:
                    throw bad(fqn, "metadata of class \(r.className ?? "dict"), not TensorStorageMetadata or BytesStorageMetadata")
                }
            }
            guard case .dict(let sd)? = md[string: "storage_data"] else { throw bad("storage_data", "missing or not a dict (a FileSystemWriter checkpoint maps every item to its file)") }
            guard sd.count == 0 else { throw bad("storage_data", "keyed by \(sd.count) plain values, not MetadataIndex records") }
            for (k, v) in sd.recordEntries {
                guard case .dict(let ki) = k, ki.className == "MetadataIndex", case .string(let fqn)? = ki[string: "fqn"] else {
                    throw bad("storage_data", "a key that is not a MetadataIndex with a fqn")
                }
                var offset: [Int]?
                if let o = ki[string: "offset"], !o.isNone { offset = try Self.ints(o, fqn: fqn, what: "MetadataIndex.offset", bad: bad) }
                guard case .dict(let info) = v, info.className == "_StorageInfo",
                      case .string(let rel)? = info[string: "relative_path"],
                      case .int(let off)? = info[string: "offset"], case .int(let len)? = info[string: "length"],
                      off >= 0, len >= 0, off <= Int64(Int.max), len <= Int64(Int.max) else {
                    throw bad(fqn, "storage_data entry is not a _StorageInfo(relative_path: str, offset: int >= 0, length: int >= 0)")
                }
                if let extra = info[string: "transform_descriptors"], !extra.isNone {
                    throw bad(fqn, "saved through storage transforms (compression or an extension): ckpt reads plain DCP chunks only")
                }
                m.storage[Index(fqn: fqn, offset: offset)] = Location(file: rel, offset: Int(off), length: Int(len))
            }
            if case .dict(let pd)? = md[string: "planner_data"] {
                for (k, v) in zip(pd.keys, pd.values) {
                    guard case .string(let fqn) = k, case .tuple(let t) = v else { continue }
                    var path: [PathKey] = []
                    for item in t.items {
                        switch item {
                        case .string(let s): path.append(.string(s))
                        case .int(let i): path.append(.int(i))
                        default: throw bad(fqn, "planner_data path holds \(item.typeName), not str or int keys")
                        }
                    }
                    if !path.isEmpty, m.paths[fqn] == nil {
                        m.paths[fqn] = path
                        m.order.append(fqn)
                    }
                }
            }
            if case .string(let v)? = md[string: "version"] { m.version = v }
            return m
        }
    }

    private static func tensorItem(_ r: PickleDict, fqn: String, bad: (String, String) -> CheckpointError) throws -> Item {
        guard case .dict(let props)? = r[string: "properties"], props.className == "TensorProperties" else {
            throw bad(fqn, "TensorStorageMetadata without TensorProperties")
        }
        // TensorProperties pickles its __getstate__ tuple: (dtype, layout, requires_grad, memory format, pin_memory[, strides]).
        var dtypeValue = props[string: "dtype"]
        if case .tuple(let t)? = props[string: "__state__"], t.count >= 1 { dtypeValue = t[0] }
        guard case .global(let g)? = dtypeValue, case .dtype(let dtype) = g.role else {
            throw bad(fqn, "TensorProperties without a torch dtype")
        }
        guard let sizeValue = r[string: "size"] else { throw bad(fqn, "TensorStorageMetadata without a size") }
        let size = try ints(sizeValue, fqn: fqn, what: "size", bad: bad)
        guard case .list(let list)? = r[string: "chunks"] else { throw bad(fqn, "TensorStorageMetadata without a chunks list") }
        var chunks: [Chunk] = []
        for c in list.items {
            guard case .dict(let cd) = c, cd.className == "ChunkStorageMetadata",
                  let o = cd[string: "offsets"], let s = cd[string: "sizes"] else {
                throw bad(fqn, "a chunk that is not a ChunkStorageMetadata(offsets, sizes)")
            }
            let chunk = Chunk(offsets: try ints(o, fqn: fqn, what: "chunk offsets", bad: bad),
                              sizes: try ints(s, fqn: fqn, what: "chunk sizes", bad: bad))
            guard chunk.offsets.count == size.count, chunk.sizes.count == size.count else {
                throw bad(fqn, "a chunk at \(chunk.offsets) of size \(chunk.sizes) does not have the tensor's \(size.count) dimensions (size \(size))")
            }
            chunks.append(chunk)
        }
        return .tensor(dtype: normalizedDtype(dtype), size: size, chunks: chunks)
    }

    /// `torch.float` → `float32`, ... (the names `DType` and `TorchElementType` use).
    static func normalizedDtype(_ name: String) -> String {
        let aliases = ["float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32",
                       "short": "int16", "cfloat": "complex64", "cdouble": "complex128"]
        return aliases[name] ?? name
    }

    static func ints(_ v: PickleValue, fqn: String, what: String, bad: (String, String) -> CheckpointError) throws -> [Int] {
        guard case .tuple(let t) = v, t.count <= TorchTensorRef.maxRank else { throw bad(fqn, "\(what) is \(v.typeName), not a torch.Size") }
        return try t.items.map {
            guard case .int(let i) = $0, i >= 0, i <= Int64(Int32.max) * 1024 else { throw bad(fqn, "\(what) holds \($0.typeName) values, not non-negative ints") }
            return Int(i)
        }
    }
}

extension PickleValue {
    var isNone: Bool { if case .none = self { true } else { false } }
}

extension PickleDict {
    /// The value of str key `key`, if any.
    subscript(string key: String) -> PickleValue? {
        guard let i = keys.firstIndex(of: .string(key)) else { return nil }
        return values[i]
    }
}
