import CkptCore

/// A `.safetensors` file as a checkpoint, for the commands that compare and check any format
/// (`diff`, `verify`): its tensors (validated by `Safetensors.read`) are the model section and
/// its `__metadata__` is `metadata/safetensors_metadata` (JSON text), as `ckpt convert
/// x.safetensors x.h5` writes them. Recognised by the `.safetensors` extension.
public enum SafetensorsCheckpoint {
    public static func recognises(_ path: String) -> Bool {
        path.lowercased().hasSuffix(".safetensors") && !DirectoryMember.isDirectory(path)
    }

    public static func load(_ path: String) throws -> Checkpoint {
        let (tensors, metadata) = try Safetensors.read(path)
        var meta: StateDict = ["created_by": "safetensors"]
        if !metadata.isEmpty {
            meta["safetensors_metadata"] = .string(JSON.string(.dict(StateDict(metadata.map { ($0.key, StateValue.string($0.value)) }))))
        }
        return Checkpoint(metadata: meta, model: tensors)
    }
}
