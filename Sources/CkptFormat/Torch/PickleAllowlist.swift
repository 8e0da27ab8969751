/// Which globals a pickle may name: the subset of PyTorch's `weights_only=True` allowlist
/// (`torch/_weights_only_unpickler.py`, `_get_allowed_globals`) that holds state-dict data.
///
/// Everything else is refused at the `GLOBAL` opcode, before anything could be called,
/// with the global's name: "refusing `posix.system`: ckpt never runs code from a file".
/// Modules PyTorch always blocks (`sys`, `os`, `posix`, `nt`) are refused the same way.
/// Globals PyTorch allows but ckpt cannot represent (quantized, sparse and subclass tensors,
/// layouts, ...) resolve to `.unsupported`, refused when called with a
/// message saying so, so a file is never read half-right.
enum PickleAllowlist {
    static let blockedModules: Set<String> = ["sys", "os", "posix", "nt"]

    static func resolve(module: String, name: String) -> PickleGlobal.Role? {
        if blockedModules.contains(module) { return nil }
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("collections", "Counter"): return .counter
        case ("builtins", "set"), ("__builtin__", "set"): return .set
        case ("builtins", "frozenset"), ("__builtin__", "frozenset"): return .frozenset
        case ("builtins", "bytearray"), ("__builtin__", "bytearray"): return .bytearray
        case ("builtins", "complex"), ("__builtin__", "complex"): return .complex
        case ("_codecs", "encode"): return .codecsEncode
        case ("torch._utils", "_rebuild_tensor"): return .rebuildTensor
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor_v3"): return .rebuildTensorV3
        case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): return .rebuildParameterWithState
        case ("torch", "Size"): return .torchSize
        case ("torch", "device"): return .torchDevice
        case ("torch._utils", "_rebuild_qtensor"),
             ("torch._utils", "_rebuild_sparse_tensor"), ("torch._utils", "_rebuild_meta_tensor_no_storage"),
             ("torch._utils", "_rebuild_wrapper_subclass"), ("torch._utils", "_rebuild_device_tensor_from_numpy"),
             ("torch._utils", "_rebuild_device_tensor_from_cpu_tensor"), ("torch._utils", "_rebuild_nested_tensor"),
             ("torch._tensor", "_rebuild_from_type_v2"), ("torch.serialization", "_get_layout"),
             ("torch", "Tensor"), ("torch.nn.parameter", "Parameter"),
             ("torch.storage", "TypedStorage"), ("torch", "per_tensor_affine"), ("torch", "per_channel_affine"),
             ("torch", "per_tensor_symmetric"), ("torch", "per_channel_symmetric"),
             ("torch", "per_channel_affine_float_qparams"):
            return .unsupported("\(module).\(name)")
        default:
            break
        }
        if module == "torch" || module == "torch.cuda" || module == "torch.storage" {
            if let t = TorchElementType(storageClass: name) { return .storageClass(t) }
            if module == "torch", dtypeNames.contains(name) { return .dtype(name) }
        }
        return nil
    }

    /// `torch.<name>` dtype objects the allowlist holds.
    static let dtypeNames: Set<String> = [
        "float32", "float", "float64", "double", "float16", "half", "bfloat16", "int64", "long",
        "int32", "int", "int16", "short", "int8", "uint8", "bool", "complex64", "cfloat",
        "complex128", "cdouble", "complex32", "chalf", "uint16", "uint32", "uint64",
        "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu",
        "qint8", "quint8", "qint32", "quint4x2", "quint2x4",
    ]
}
