import CHDF5

/// The element types this module reads and writes, with the exact on-disk encoding h5py
/// uses for the matching numpy dtype (little-endian IEEE floats and two's-complement
/// integers; `bool` as h5py's enum {FALSE = 0, TRUE = 1} over int8; `float16` as IEEE
/// binary16, which h5py reads as `numpy.float16`).
public enum HDF5ElementType: String, Sendable, CaseIterable, Equatable {
    case float16, float32, float64
    case int8, int16, int32, int64
    case uint8, uint16, uint32, uint64
    case bool

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .int8, .uint8, .bool: 1
        case .float16, .int16, .uint16: 2
        case .float32, .int32, .uint32: 4
        case .float64, .int64, .uint64: 8
        }
    }

    /// A new HDF5 datatype id for this element type (caller closes it with `H5Tclose`).
    /// File and memory types are identical, so reads and writes copy bytes without conversion.
    func makeTypeID() -> hid_t {
        switch self {
        case .float16: return ckpt_make_f16_type()
        case .bool: return ckpt_make_bool_type()
        case .float32: return H5Tcopy(ckpt_H5T_IEEE_F32LE())
        case .float64: return H5Tcopy(ckpt_H5T_IEEE_F64LE())
        case .int8: return H5Tcopy(ckpt_H5T_STD_I8LE())
        case .uint8: return H5Tcopy(ckpt_H5T_STD_U8LE())
        case .int16: return H5Tcopy(ckpt_H5T_NATIVE_INT16())
        case .uint16: return H5Tcopy(ckpt_H5T_NATIVE_UINT16())
        case .int32: return H5Tcopy(ckpt_H5T_STD_I32LE())
        case .uint32: return H5Tcopy(ckpt_H5T_NATIVE_UINT32())
        case .int64: return H5Tcopy(ckpt_H5T_STD_I64LE())
        case .uint64: return H5Tcopy(ckpt_H5T_NATIVE_UINT64())
        }
    }
}

/// What a dataset holds (`HDF5Dataset.contents`).
public enum HDF5Contents: Equatable, Sendable {
    case strings
    case numbers(HDF5ElementType)
    /// Any other type, described ("compound", "float24(...)").
    case other(String)
}

/// What a stored datatype is, as far as this module can tell.
enum HDF5StoredType: Equatable {
    case element(HDF5ElementType)
    case variableString
    case fixedString(size: Int)
    /// Anything else (compound, reference, opaque, array, bfloat16-like floats...): a short
    /// description for messages and `HDF5Tree`.
    case other(String)

    var description: String {
        switch self {
        case .element(let e): e.rawValue
        case .variableString: "string"
        case .fixedString(let n): "string[\(n)]"
        case .other(let s): s
        }
    }

    /// Classifies an open datatype id.
    static func classify(_ type: hid_t) -> HDF5StoredType {
        let cls = H5Tget_class(type)
        let size = H5Tget_size(type)
        switch cls {
        case H5T_FLOAT:
            var spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0
            guard H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize) >= 0 else {
                return .other("float\(size * 8)")
            }
            switch (size, esize, msize) {
            case (2, 5, 10): return .element(.float16)
            case (4, 8, 23): return .element(.float32)
            case (8, 11, 52): return .element(.float64)
            default: return .other("float\(size * 8)(exponent \(esize) bits, mantissa \(msize) bits)")
            }
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) == H5T_SGN_2
            switch (size, signed) {
            case (1, true): return .element(.int8)
            case (1, false): return .element(.uint8)
            case (2, true): return .element(.int16)
            case (2, false): return .element(.uint16)
            case (4, true): return .element(.int32)
            case (4, false): return .element(.uint32)
            case (8, true): return .element(.int64)
            case (8, false): return .element(.uint64)
            default: return .other("int\(size * 8)")
            }
        case H5T_ENUM:
            if isNumpyBool(type) { return .element(.bool) }
            return .other("enum")
        case H5T_STRING:
            let v = H5Tis_variable_str(type)
            if v > 0 { return .variableString }
            if v == 0 { return .fixedString(size: size) }
            return .other("string")
        case H5T_COMPOUND: return .other("compound")
        case H5T_REFERENCE: return .other("reference")
        case H5T_OPAQUE: return .other("opaque")
        case H5T_ARRAY: return .other("array")
        case H5T_VLEN: return .other("vlen")
        case H5T_BITFIELD: return .other("bitfield")
        case H5T_TIME: return .other("time")
        default: return .other("unknown")
        }
    }

    /// h5py's numpy-bool: a 1-byte enum with exactly FALSE = 0 and TRUE = 1.
    private static func isNumpyBool(_ type: hid_t) -> Bool {
        guard H5Tget_size(type) == 1, H5Tget_nmembers(type) == 2 else { return false }
        var names: [String] = []
        var values: [Int8] = []
        for i in 0..<2 {
            guard let p = H5Tget_member_name(type, UInt32(i)) else { return false }
            names.append(String(cString: p))
            H5free_memory(p)
            var v: Int8 = 0
            guard H5Tget_member_value(type, UInt32(i), &v) >= 0 else { return false }
            values.append(v)
        }
        // Not Dictionary(uniqueKeysWithValues:): a crafted enum may repeat a name, which must not trap.
        let members = zip(names, values).sorted { $0.0 < $1.0 }
        return members.map(\.0) == ["FALSE", "TRUE"] && members.map(\.1) == [0, 1]
    }
}
