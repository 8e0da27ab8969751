/// The globals a DCP `.metadata` pickle may name: exactly the record classes of
/// `torch.distributed.checkpoint.metadata` and `filesystem._StorageInfo`, `pathlib`'s path
/// classes (`StorageMeta.checkpoint_id`), `torch.Size`, dtype objects and
/// `torch.serialization._get_layout` (`TensorProperties.layout`). Nothing else: the tensor
/// rebuild functions, storages and containers of `torch.save` files are refused here (a
/// `.metadata` never holds tensors), and so is every other global, by name.
///
/// Each record class becomes a tagged dict (`PickleGlobal.Role.record`): its fields are
/// data, and none of its code (`__setstate__`, `__post_init__`) runs.
enum DCPAllowlist {
    static let metadataModule = "torch.distributed.checkpoint.metadata"
    static let recordClasses: Set<String> = [
        "Metadata", "TensorStorageMetadata", "BytesStorageMetadata", "ChunkStorageMetadata",
        "TensorProperties", "MetadataIndex", "StorageMeta", "_MEM_FORMAT_ENCODING",
    ]

    static func resolve(module: String, name: String) -> PickleGlobal.Role? {
        switch (module, name) {
        case (metadataModule, _) where recordClasses.contains(name): return .record(name)
        case ("torch.distributed.checkpoint.filesystem", "_StorageInfo"): return .record(name)
        case ("pathlib", "PosixPath"), ("pathlib", "WindowsPath"), ("pathlib", "PurePosixPath"),
             ("pathlib", "PureWindowsPath"), ("pathlib", "Path"):
            return .record("pathlib.\(name)")
        case ("torch.serialization", "_get_layout"): return .record("torch.layout")
        case ("torch", "Size"): return .torchSize
        case ("torch", _) where PickleAllowlist.dtypeNames.contains(name): return .dtype(name)
        default: return nil
        }
    }
}
