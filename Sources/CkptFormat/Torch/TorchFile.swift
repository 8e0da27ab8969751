import CkptCore

/// Reads `torch.save` files (`.pt`, `.pth`; PyTorch ≥ 1.6's zip format) without PyTorch and
/// without running anything they name.
///
/// The file is untrusted end to end: the zip is validated whole (`ZipArchive`), `data.pkl`
/// runs on the restricted unpickler (`Pickle`: PyTorch's `weights_only=True` opcodes and the
/// data part of its allowlist; any other global is refused by name), each storage
/// `<archive>/data/<key>` is read once and CRC-checked, and each tensor is materialised
/// row-major from its storage by offset, size and stride (views and non-contiguous tensors
/// included; big-endian files by their `byteorder` entry). The result is the `StateValue`
/// tree every other reader produces. The pre-1.6 (non-zip) format is refused, naming it.
public enum TorchFile {
    /// Refused beyond this many bytes of `data.pkl`.
    static let maxPickleBytes = 256 << 20

    /// Whether `path` starts as a torch.save file does: a zip, or the legacy format's magic
    /// (so `read` can say what it is). Reads 14 bytes; false when the file cannot be read.
    public static func isTorchFile(_ path: String) -> Bool {
        guard let src = try? ByteSource(path: path),
              let head = try? src.bytes(at: 0, count: min(14, src.size), what: "/") else { return false }
        return ZipArchive.hasSignature(head) || isLegacy(head)
    }

    /// PROTO 2, LONG1 of 10 bytes: PyTorch's legacy magic number 0x1950a86a20f9469cfc6c.
    static func isLegacy(_ head: [UInt8]) -> Bool {
        head.starts(with: [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19])
    }

    /// The whole object `torch.save` wrote to `path`.
    public static func read(_ path: String) throws -> StateValue {
        try read(ByteSource(path: path))
    }

    /// The object of a torch.save file held in memory (tests, the fuzzer); `file` names it in errors.
    public static func read(bytes: [UInt8], file: String) throws -> StateValue {
        try read(ByteSource(bytes: bytes, file: file))
    }

    /// `verify`'s zip integrity check: the archive's structure (`ZipArchive`) and the CRC-32 of
    /// every entry, also those the pickle never reads (`version`, `.data/serialization_id`),
    /// read a cache-sized chunk at a time. Returns the number of entries; throws the first problem.
    public static func checkEntries(_ path: String) throws -> Int {
        let zip = try ZipArchive(ByteSource(path: path))
        let chunk = CRC32.chunk
        var buffer = [UInt8](repeating: 0, count: min(chunk, zip.entries.map(\.size).max() ?? 0))
        for e in zip.entries {
            var crc: UInt32 = 0, done = 0
            while done < e.size {
                let n = min(chunk, e.size - done)
                try buffer.withUnsafeMutableBytes { b in
                    let part = UnsafeMutableRawBufferPointer(rebasing: b[0..<n])
                    try zip.source.read(into: part, at: e.dataOffset + done, what: e.name)
                    crc = CRC32.update(crc, UnsafeRawBufferPointer(part))
                }
                done += n
            }
            guard crc == e.crc32 else {
                throw CheckpointError.malformed(file: path, path: e.name, reason: "CRC-32 mismatch (the zip directory says \(ZipArchive.hex(e.crc32)), the bytes give \(ZipArchive.hex(crc))): the entry is corrupt")
            }
        }
        return zip.entries.count
    }

    static func read(_ src: ByteSource) throws -> StateValue {
        let file = src.file
        let head = try src.bytes(at: 0, count: min(14, src.size), what: "/")
        if isLegacy(head) {
            throw CheckpointError.unreadable(file: file, path: "/", reason: "a legacy torch.save file (PyTorch before 1.6, or _use_new_zipfile_serialization=False); ckpt reads the zip format: re-save it with torch.save(torch.load(path, weights_only=True), new_path)")
        }
        let zip = try ZipArchive(src)
        guard let first = zip.entries.first, let slash = first.name.firstIndex(of: "/") else {
            throw CheckpointError.malformed(file: file, path: "zip", reason: "no <archive>/data.pkl entry: not a torch.save file")
        }
        let prefix = String(first.name[...slash])
        guard let pkl = zip.entry(prefix + "data.pkl") else {
            throw CheckpointError.malformed(file: file, path: prefix + "data.pkl", reason: "missing: not a torch.save file")
        }
        guard pkl.size <= maxPickleBytes else {
            throw CheckpointError.malformed(file: file, path: pkl.name, reason: "\(pkl.size) bytes exceeds the limit of \(maxPickleBytes)")
        }
        var bigEndian = false
        if let order = zip.entry(prefix + "byteorder") {
            let text = String(decoding: try zip.read(order), as: UTF8.self)
            switch text {
            case "little": break
            case "big": bigEndian = true
            default: throw CheckpointError.malformed(file: file, path: order.name, reason: "byte order \(text.debugDescription) is neither \"little\" nor \"big\"")
            }
        }
        var storages: [String: TorchStorageRef] = [:]
        let storageLoader: Pickle.StorageLoader = { key, type, numel, _ in
            let name = prefix + "data/" + key
            if let s = storages[key] {
                guard s.type == type, s.numel == numel else {
                    throw CheckpointError.malformed(file: file, path: name, reason: "storage used as \(s.numel) \(s.type.rawValue) and as \(numel) \(type.rawValue) elements")
                }
                return s
            }
            guard !key.contains("/"), let entry = zip.entry(name) else {
                throw CheckpointError.malformed(file: file, path: name, reason: "the pickle names storage \(key.debugDescription), which the zip does not hold")
            }
            guard numel <= Int64(Int.max) else { throw CheckpointError.malformed(file: file, path: name, reason: "\(numel) elements overflow") }
            let s = TorchStorageRef(key: key, type: type, numel: Int(numel), entry: entry)
            storages[key] = s
            return s
        }
        var converter = TorchValueConverter(tensors: TorchTensorMaterializer(zip: zip, bigEndian: bigEndian), file: file)
        return try Pickle.load(try zip.read(pkl), file: file, entry: pkl.name, storages: storageLoader) {
            try converter.convert($0)
        }
    }
}
