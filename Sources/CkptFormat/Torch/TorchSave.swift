import CkptCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `torch.save` files (`.pt`) that `torch.load(path, weights_only=True)` reads as the
/// objects a PyTorch user would have saved, without PyTorch.
///
/// The object (`object(from:)`, the inverse of `TorchCheckpoint`'s mapping):
/// `{"model": OrderedDict(model), "optimizer": optimizer.state_dict(), "scheduler":
/// scheduler.state_dict(), "epoch": <completed epochs>, <other metadata entries>}`, and a
/// run's later optimizers as `optimizer_1`, `scheduler_1`, ... (`/optimizers/<i>`). ckpt's
/// `type` keys are dropped (PyTorch's state dicts have none; SequentialLR's children too);
/// int keys stay ints, tuples tuples (`betas`), `Counter`s `Counter`s (MultiStepLR's
/// `milestones`), 0-d tensors 0-d (`step`). ckpt's own metadata (`format`, `created_by`,
/// `created_at`, `config`, ...) and the `progress` histories and `rng` section are not
/// written (a torch.save checkpoint has no place PyTorch reads them from); a `torch_` prefix
/// that `TorchCheckpoint` added is removed. A checkpoint with only a model becomes the bare
/// `model.state_dict()`, and one holding `metadata/object` (a file that was no checkpoint)
/// becomes that object.
///
/// The file (`write`): PyTorch's layout, entry by entry: `archive/data.pkl` (`PickleWriter`,
/// protocol 2), `archive/.format_version` ("1"), `archive/.storage_alignment` ("64"),
/// `archive/byteorder` ("little"), `archive/data/0` ... (one storage per tensor, its bytes
/// 64-byte aligned), `archive/version` ("3\n"), in a stored zip (`ZipWriter`), written
/// atomically (`AtomicFile`). The random `.data/serialization_id` PyTorch adds is left out:
/// `torch.load` does not need it, and the file stays a function of its content.
public enum TorchSave {
    /// Metadata keys that belong to ckpt's format, not to the saved object.
    static let ckptMetadata: Set<String> = ["format", "format_version", "created_by", "created_at", "config", "run_id"]

    /// The object `torch.save` would have been given for this checkpoint.
    public static func object(from c: Checkpoint, keys: TorchKeyMap = .standard) -> StateValue { saved(c, keys: keys).object }

    /// The object, and the key path of the model's `OrderedDict` in it (nil: none).
    static func saved(_ c: Checkpoint, keys: TorchKeyMap) -> (object: StateValue, modelPath: [String]?) {
        if let object = c.metadata["object"], c.model.isEmpty, c.optimizer == nil, c.scheduler == nil {
            return (object, nil)
        }
        let modelKey = keys.model ?? "model", epochKey = keys.epoch ?? "epoch"
        var root = StateDict()
        root[modelKey] = .dict(c.model)
        if let o = c.optimizer { root[keys.optimizer ?? "optimizer"] = .dict(untyped(o)) }
        if let s = c.scheduler { root[keys.scheduler ?? "scheduler"] = .dict(untyped(s)) }
        // A run's later optimizers (/optimizers/<i>) as `optimizer_<i>` / `scheduler_<i>`.
        for e in c.extraOptimizers {
            if let o = e.optimizer { root["\(keys.optimizer ?? "optimizer")_\(e.key)"] = .dict(untyped(o)) }
            if let s = e.scheduler { root["\(keys.scheduler ?? "scheduler")_\(e.key)"] = .dict(untyped(s)) }
        }
        if let epoch = c.progress?["epoch"] ?? c.metadata["epoch"] { root[epochKey] = epoch }
        for (key, value) in c.metadata where !ckptMetadata.contains(key) && key != "epoch" {
            let name = key.hasPrefix("torch_") ? String(key.dropFirst(6)) : key
            if root[name] == nil { root[name] = value }
        }
        if root.count == 1 && keys == .standard { return (.dict(c.model), []) }
        return (.dict(root), [modelKey])
    }

    /// `d` without ckpt's `type` key, and so the children in `_schedulers`.
    static func untyped(_ d: StateDict) -> StateDict {
        var out = StateDict()
        out.keyKind = d.keyKind
        out.pythonClass = d.pythonClass
        for (key, value) in d where key != "type" {
            if key == "_schedulers", case .list(let children) = value {
                out[key] = .list(children.map { if case .dict(let c) = $0 { .dict(untyped(c)) } else { $0 } })
            } else {
                out[key] = value
            }
        }
        return out
    }

    /// Writes `checkpoint` to `path` as `torch.save(object(from: checkpoint), path)` would.
    public static func write(_ checkpoint: Checkpoint, keys: TorchKeyMap = .standard, to path: String, durable: Bool = true) throws {
        // The model state dict is an OrderedDict, as `model.state_dict()` returns one.
        let (object, modelPath) = saved(checkpoint, keys: keys)
        try write(object, orderedDictAt: { $0 == modelPath }, to: path, durable: durable)
    }

    /// Writes any state-dict tree; `isOrdered` says which dicts (by key path) are `OrderedDict`s.
    public static func write(_ object: StateValue, orderedDictAt isOrdered: ([String]) -> Bool,
                             to path: String, durable: Bool = true) throws {
        let pickle = PickleWriter.pickle(object, orderedAt: isOrdered)
        try AtomicFile.write(to: path, durable: durable) { tmp in
            let fd = try tmp.createContent()
            let put: (UnsafeRawBufferPointer) throws -> Void = { b in
                guard DescriptorCalls.writeAll(fd, b) else { throw tmp.failure("write \(tmp.temporary)") }
            }
            let patch: (Int, [UInt8]) throws -> Void = { at, bytes in
                let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, off_t(at)) }
                guard n == bytes.count else { throw tmp.failure("write \(tmp.temporary)") }
            }
            var zip = ZipWriter(put: put, patch: patch)
            try addEntries(of: pickle, to: &zip)
            try zip.finish()
        }
    }

    /// `torch.save(value)`'s bytes in memory (a DCP item: each is a torch.save blob).
    static func bytes(of value: StateValue) throws -> [UInt8] {
        var out: [UInt8] = []
        var zip = ZipWriter(
            put: { out.append(contentsOf: $0) },
            patch: { offset, bytes in out.replaceSubrange(offset..<offset + bytes.count, with: bytes) })
        try addEntries(of: PickleWriter.pickle(value, orderedAt: { _ in false }), to: &zip)
        try zip.finish()
        return out
    }

    /// The entries of a torch.save archive, in PyTorch's order: the pickle, the version
    /// stamps, then each storage's bytes (64-byte aligned), then `version`. The one place the
    /// layout is written, for files (`write`) and for memory (`bytes(of:)`).
    static func addEntries(of pickle: PickleWriter, to zip: inout ZipWriter) throws {
        try zip.add("archive/data.pkl", pickle.bytes)
        try zip.add("archive/.format_version", Array("1".utf8))
        try zip.add("archive/.storage_alignment", Array(String(ZipWriter.alignment).utf8))
        try zip.add("archive/byteorder", Array("little".utf8))
        for (key, t) in pickle.storages.enumerated() {
            if case .bool(let a) = t.storage {
                try zip.add("archive/data/\(key)", a.map { $0 ? 1 : 0 })
            } else {
                try t.withUnsafeBytes { try zip.addStreamed("archive/data/\(key)", $0) }
            }
        }
        try zip.add("archive/version", Array("3\n".utf8))
    }
}
