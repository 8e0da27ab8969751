#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CkptCore

/// Writes a checkpoint as a PyTorch Distributed Checkpoint directory, as one process's
/// `torch.distributed.checkpoint.save` (the default planner and `FileSystemWriter`) writes
/// the state dict `{"model": ..., "optimizer": ..., "scheduler": ..., "epoch": ...}` that
/// `TorchSave` would save (ckpt's `type` keys dropped, int keys kept).
///
/// The state is flattened as DCP's `flatten_state_dict` does (dict keys joined with `.` as
/// `str(key)`; a list is walked into only when it holds tensors or containers of them;
/// tuples and other lists are one item). Every tensor is one chunk: a `torch.save` blob of
/// it in `__0_0.distcp`; every other value a `torch.save` blob of the value (a bytes item).
/// `.metadata` (`DCPMetadataPickle`) is written last, each file atomically, so a directory
/// with a `.metadata` is complete. `torch.distributed.checkpoint.load(state_dict,
/// checkpoint_id=dir)` then loads it in place into a model's and optimizer's state dicts,
/// with no process group.
public enum DCPWriter {
    static let dataFile = "__0_0.distcp"

    private enum Leaf {
        case tensor(TensorData)
        case bytes(StateValue)
    }

    public static func write(_ checkpoint: Checkpoint, to dir: String) throws {
        if DirectoryMember.isDirectory(dir) {
            guard DirectoryMember.names(in: dir).isEmpty || DCPDirectory.recognises(dir) else {
                throw CheckpointError.io(file: dir, operation: "write a DCP checkpoint", reason: "the directory exists and is not empty (nor a DCP checkpoint to replace)")
            }
        } else if mkdir(dir, 0o755) != 0 {
            throw CheckpointError.io(file: dir, operation: "mkdir", reason: String(cString: strerror(errno)))
        }
        let object = TorchSave.saved(checkpoint, keys: .standard).object
        guard case .dict(let root) = object else {
            throw CheckpointError.unsupportedValue(file: dir, path: "/", reason: "a DCP checkpoint holds a dict; this checkpoint is a \(object.kindName)")
        }
        var leaves: [(fqn: String, path: [DCPMetadata.PathKey], leaf: Leaf)] = []
        func visit(_ path: [DCPMetadata.PathKey], _ v: StateValue) {
            let fqn = path.map { k -> String in
                switch k { case .string(let s): s; case .int(let i): String(i) }
            }.joined(separator: ".")
            switch v {
            case .tensor(let t): leaves.append((fqn, path, .tensor(t)))
            case .dict(let d):
                for (k, child) in d { visit(path + [.string(k)], child) }
            case .list(let items) where !isTerminal(v):
                for (i, child) in items.enumerated() { visit(path + [.int(Int64(i))], child) }
            default: leaves.append((fqn, path, .bytes(v)))
            }
        }
        for (k, v) in root { visit([.string(k)], v) }

        var data: [UInt8] = []
        var p = DCPMetadataPickle()
        var storage: [(fqn: String, offset: [Int]?, at: Int, length: Int)] = []
        for (fqn, _, leaf) in leaves {
            let start = data.count
            switch leaf {
            case .tensor(let t): data += try TorchSave.bytes(of: .tensor(t))
            case .bytes(let v): data += try TorchSave.bytes(of: v)
            }
            if case .tensor(let t) = leaf {
                storage.append((fqn, Array(repeating: 0, count: t.shape.count), start, data.count - start))
            } else {
                storage.append((fqn, nil, start, data.count - start))
            }
        }
        // Metadata(state_dict_metadata, planner_data, storage_data, storage_meta, version)
        let module = DCPMetadataPickle.module
        p.record(module, "Metadata") { p in
            p.string("state_dict_metadata")
            p.emptyDict()
            p.mark()
            for (fqn, _, leaf) in leaves {
                p.string(fqn)
                switch leaf {
                case .bytes:
                    p.record(module, "BytesStorageMetadata") { _ in }
                case .tensor(let t):
                    p.record(module, "TensorStorageMetadata") { p in
                        p.string("properties")
                        p.tensorProperties(t.dtype)
                        p.string("size")
                        p.size(t.shape)
                        p.string("chunks")
                        p.emptyList()
                        p.mark()
                        p.record(module, "ChunkStorageMetadata") { p in
                            p.string("offsets")
                            p.size(Array(repeating: 0, count: t.shape.count))
                            p.string("sizes")
                            p.size(t.shape)
                        }
                        p.appends()
                    }
                }
            }
            p.setitems()
            p.string("planner_data")
            p.emptyDict()
            p.mark()
            for (fqn, path, _) in leaves {
                p.string(fqn)
                p.mark()
                for k in path {
                    switch k { case .string(let s): p.string(s); case .int(let i): p.int(i) }
                }
                p.tuple()
            }
            p.setitems()
            p.string("storage_data")
            p.emptyDict()
            p.mark()
            for s in storage {
                p.record(module, "MetadataIndex") { p in
                    p.string("fqn")
                    p.string(s.fqn)
                    p.string("offset")
                    if let o = s.offset { p.size(o) } else { p.none() }
                    p.string("index")
                    p.none()
                }
                p.record("torch.distributed.checkpoint.filesystem", "_StorageInfo") { p in
                    p.string("relative_path")
                    p.string(dataFile)
                    p.string("offset")
                    p.int(Int64(s.at))
                    p.string("length")
                    p.int(Int64(s.length))
                }
            }
            p.setitems()
            p.string("storage_meta")
            p.none()
            p.string("version")
            p.string("1.0.0")
        }
        p.finish()
        try AtomicFile.write(data, to: dir + "/" + dataFile)
        try AtomicFile.write(p.bytes, to: dir + "/.metadata")
    }

    /// DCP's `_is_terminal`: a list is one item unless it holds a tensor, a dict, or a list
    /// that is not itself terminal.
    static func isTerminal(_ v: StateValue) -> Bool {
        guard case .list(let items) = v else { return !(v.dictValue != nil) }
        for item in items {
            switch item {
            case .tensor, .dict: return false
            case .list where !isTerminal(item): return false
            default: continue
            }
        }
        return true
    }
}
