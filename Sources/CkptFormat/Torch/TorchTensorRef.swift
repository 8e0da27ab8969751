import CkptCore

/// One storage of a `torch.save` file: the zip entry `<archive>/data/<key>`, read once however
/// many tensors view it (tied weights, views, slices of one flat buffer).
final class TorchStorageRef {
    let key: String
    let type: TorchElementType
    /// Elements, as the persistent id states (checked against the entry's size).
    let numel: Int
    let entry: ZipArchive.Entry
    private(set) var cached: [UInt8]?

    init(key: String, type: TorchElementType, numel: Int, entry: ZipArchive.Entry) {
        self.key = key
        self.type = type
        self.numel = numel
        self.entry = entry
    }

    /// The storage's bytes as the file holds them (CRC-32 checked on first read).
    func bytes(in zip: ZipArchive) throws -> [UInt8] {
        if let cached { return cached }
        let b = try zip.read(entry)
        cached = b
        return b
    }
}

/// A tensor as `torch._utils._rebuild_tensor_v2` describes it: a view of a storage by offset,
/// size and stride (in elements). Materialised, checked, on conversion, where its path in the
/// tree is known for errors; the result is cached so a tensor memoised twice is read once.
final class TorchTensorRef {
    static let maxRank = 64

    let storage: TorchStorageRef
    let offset: Int
    let size: [Int]
    let stride: [Int]
    /// Where the pickle built it, for errors.
    let pickleOffset: Int
    var materialized: TensorData?

    init(storage: TorchStorageRef, offset: Int, size: [Int], stride: [Int], pickleOffset: Int) {
        self.storage = storage
        self.offset = offset
        self.size = size
        self.stride = stride
        self.pickleOffset = pickleOffset
    }

    /// The highest storage element the view touches + 1 (0 for an empty tensor), or nil on
    /// overflow.
    var extent: Int? {
        if size.contains(0) { return 0 }
        var last = offset
        for (n, s) in zip(size, stride) {
            let (m, o1) = (n - 1).multipliedReportingOverflow(by: s)
            let (sum, o2) = last.addingReportingOverflow(m)
            guard !o1, !o2 else { return nil }
            last = sum
        }
        let (e, o) = last.addingReportingOverflow(1)
        return o ? nil : e
    }

    /// Whether the view is the row-major layout of its size (strides of size-1 dims ignored).
    var isContiguous: Bool {
        var expected = 1
        for (n, s) in zip(size, stride).reversed() where n != 1 {
            guard s == expected else { return false }
            expected *= n
        }
        return true
    }
}
