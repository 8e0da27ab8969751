import CkptCore

/// Writes a `.metadata` pickle (protocol 2) that `torch.distributed.checkpoint`'s
/// `FileSystemReader` unpickles into its `Metadata` dataclasses: each record as CPython
/// pickles a dataclass (`GLOBAL` class, `EMPTY_TUPLE`, `NEWOBJ`, its field dict, `BUILD`),
/// `TensorProperties` with its `__getstate__` tuple, `torch.Size` and the enum and layout
/// by `REDUCE`, as the pickles PyTorch writes do (docs/DCP.md).
struct DCPMetadataPickle {
    private(set) var bytes: [UInt8] = [0x80, 0x02]  // PROTO 2

    static let module = "torch.distributed.checkpoint.metadata"

    mutating func finish() { bytes.append(0x2E) }  // STOP

    mutating func global(_ module: String, _ name: String) {
        bytes.append(0x63)
        bytes.append(contentsOf: Array((module + "\n" + name + "\n").utf8))
    }

    mutating func string(_ s: String) {
        let u = Array(s.utf8)
        bytes.append(0x58)  // BINUNICODE
        withUnsafeBytes(of: UInt32(u.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: u)
    }

    mutating func int(_ i: Int64) {
        if i >= 0 && i < 256 {
            bytes.append(contentsOf: [0x4B, UInt8(i)])  // BININT1
        } else if i >= Int64(Int32.min) && i <= Int64(Int32.max) {
            bytes.append(0x4A)  // BININT
            withUnsafeBytes(of: Int32(i).littleEndian) { bytes.append(contentsOf: $0) }
        } else {
            bytes.append(contentsOf: [0x8A, 8])  // LONG1, 8 bytes two's complement
            withUnsafeBytes(of: i.littleEndian) { bytes.append(contentsOf: $0) }
        }
    }

    mutating func none() { bytes.append(0x4E) }
    mutating func bool(_ b: Bool) { bytes.append(b ? 0x88 : 0x89) }
    mutating func mark() { bytes.append(0x28) }
    mutating func tuple() { bytes.append(0x74) }
    mutating func emptyDict() { bytes.append(0x7D) }
    mutating func emptyList() { bytes.append(0x5D) }
    mutating func setitems() { bytes.append(0x75) }
    mutating func appends() { bytes.append(0x65) }
    mutating func reduce() { bytes.append(0x52) }

    /// `torch.Size(dims)`.
    mutating func size(_ dims: [Int]) {
        global("torch", "Size")
        mark()
        mark()
        for d in dims { int(Int64(d)) }
        tuple()
        tuple()
        bytes.append(0x52)  // REDUCE
    }

    /// A dataclass instance: `fields` writes `key, value` pairs between MARK and SETITEMS.
    mutating func record(_ module: String, _ name: String, fields: (inout DCPMetadataPickle) -> Void) {
        global(module, name)
        bytes.append(contentsOf: [0x29, 0x81])  // EMPTY_TUPLE, NEWOBJ
        emptyDict()
        mark()
        fields(&self)
        setitems()
        bytes.append(0x62)  // BUILD
    }

    /// `TensorProperties` of a contiguous CPU tensor of `dtype` (its `__getstate__` tuple).
    mutating func tensorProperties(_ dtype: DType) {
        global(Self.module, "TensorProperties")
        bytes.append(contentsOf: [0x29, 0x81])
        mark()
        global("torch", dtype.rawValue)
        global("torch.serialization", "_get_layout")
        mark()
        string("torch.strided")
        tuple()
        bytes.append(0x52)
        bool(false)  // requires_grad
        global(Self.module, "_MEM_FORMAT_ENCODING")
        mark()
        int(0)  // TORCH_CONTIGUOUS_FORMAT
        tuple()
        bytes.append(0x52)
        bool(false)  // pin_memory
        none()  // strides
        tuple()
        bytes.append(0x62)  // BUILD with the tuple
    }
}
