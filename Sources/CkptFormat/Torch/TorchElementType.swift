import CkptCore

/// The element type of a PyTorch storage, named by its storage class (`torch.FloatStorage` →
/// `.float32`) or, for the dtypes with no typed storage class that `torch.save` writes through
/// `_rebuild_tensor_v3` (uint16/32/64, float8), by its dtype name. Every type PyTorch's
/// `weights_only` loader accepts is named so an error can say which one a file holds; `dtype`
/// is the `DType` ckpt's tensors hold, nil for the rest (unsigned wider than 8 bits, complex,
/// float8 and quantized types are refused, naming the tensor, when a tensor uses them).
enum TorchElementType: String, Equatable {
    case float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool
    case complex64, complex128, qint8, quint8, qint32, quint4x2, quint2x4
    case uint16, uint32, uint64, complex32
    case float8_e4m3fn, float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz, float8_e8m0fnu

    /// Bytes per element.
    var size: Int {
        switch self {
        case .float64, .int64, .complex64, .uint64: 8
        case .complex128: 16
        case .float32, .int32, .qint32, .uint32, .complex32: 4
        case .float16, .bfloat16, .int16, .uint16: 2
        case .int8, .uint8, .bool, .qint8, .quint8, .quint4x2, .quint2x4: 1
        case .float8_e4m3fn, .float8_e5m2, .float8_e4m3fnuz, .float8_e5m2fnuz, .float8_e8m0fnu: 1
        }
    }

    /// The element type of a `torch.<name>` dtype object (`float`, `half`, ... aliases too).
    init?(dtypeName name: String) {
        let aliases = ["float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32",
                       "short": "int16", "cfloat": "complex64", "cdouble": "complex128", "chalf": "complex32"]
        self.init(rawValue: aliases[name] ?? name)
    }

    /// The `DType` of the same name (ckpt names dtypes as PyTorch does), nil for the rest.
    var dtype: DType? { DType(rawValue: rawValue) }

    /// The element type of a storage class name (`FloatStorage`), CPU or CUDA alike.
    init?(storageClass name: String) {
        let table: [String: TorchElementType] = [
            "FloatStorage": .float32, "DoubleStorage": .float64, "HalfStorage": .float16,
            "BFloat16Storage": .bfloat16, "LongStorage": .int64, "IntStorage": .int32,
            "ShortStorage": .int16, "CharStorage": .int8, "ByteStorage": .uint8, "BoolStorage": .bool,
            "ComplexFloatStorage": .complex64, "ComplexDoubleStorage": .complex128,
            "QInt8Storage": .qint8, "QUInt8Storage": .quint8, "QInt32Storage": .qint32,
            "QUInt4x2Storage": .quint4x2, "QUInt2x4Storage": .quint2x4,
            // An untyped storage is bytes (`_rebuild_tensor_v3` gives the dtype separately,
            // which ckpt does not read).
            "UntypedStorage": .uint8,
        ]
        guard let t = table[name] else { return nil }
        self = t
    }
}
