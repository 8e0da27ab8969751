#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CkptCore

/// The manifest ckpt writes into the file's HDF5 user block (bytes HDF5 reserves and
/// ignores at the start of the file; h5py and h5dump skip it).
///
/// It lets `load` check every byte of HDF5 metadata *before* the HDF5 library parses any of
/// it: Debian's HDF5 1.10 can crash on corrupt metadata that has no HDF5 checksum (the global
/// heap holding variable-length strings), and a bit flip there must be an error, not a crash.
/// Tensor bytes are excluded here because each tensor has its own checksum attribute.
///
/// Layout (ASCII lines, then NUL padding to `userblock` bytes):
/// ```
/// CKPT-MANIFEST v1
/// userblock 512
/// file_size 22030
/// metadata_xxh64 0123456789abcdef
/// tensor_ranges 2
/// 2048 64
/// 4096 16
/// ```
/// `metadata_xxh64` is XXH64 (seed 0) of the bytes `[userblock, file_size)` with the tensor
/// ranges (`offset length`, absolute, ascending, disjoint) left out, concatenated in order.
/// A save with the user's `ManifestKey` adds, after it, `metadata_siphash24 <16 hex>`: the
/// key's SipHash-2-4 tag of the manifest text without that line, then the same metadata
/// bytes. The hash proves integrity against accident; only the tag proves who wrote the file.
struct FileManifest: Equatable {
    static let magic = "CKPT-MANIFEST v1\n"
    static let maxTensorRanges = 10_000_000

    var userBlockSize: Int
    var fileSize: Int
    var metadataHash: UInt64
    var tensorRanges: [Range<Int>]
    /// The `ManifestKey` tag, nil when the saver had no key.
    var metadataTag: UInt64? = nil

    /// What `verify` found.
    enum Verdict: Equatable {
        /// No manifest (another writer's file).
        case absent
        /// The hash matches; `signed` when the tag verifies under this user's key too.
        case verified(signed: Bool)
    }

    /// A user block large enough for the manifest of `tensorCount` tensors.
    static func userBlockSize(forTensorCount n: Int) -> Int {
        let need = 200 + 42 * n
        var size = 512
        while size < need { size *= 2 }
        return size
    }

    /// The manifest's text: with the tag line when `withTag` and there is a tag.
    func text(withTag: Bool) -> String {
        func hex16(_ v: UInt64) -> String {
            let hex = String(v, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }
        var text = Self.magic + "userblock \(userBlockSize)\nfile_size \(fileSize)\n"
        text += "metadata_xxh64 " + hex16(metadataHash) + "\n"
        if withTag, let tag = metadataTag { text += "metadata_siphash24 " + hex16(tag) + "\n" }
        text += "tensor_ranges \(tensorRanges.count)\n"
        for r in tensorRanges { text += "\(r.lowerBound) \(r.count)\n" }
        return text
    }

    /// The tag `key` gives this manifest (its text without the tag line) and `metadata`.
    func expectedTag(key: ManifestKey, metadata: [UInt8]) -> UInt64 {
        var text = Array(self.text(withTag: false).utf8)
        return text.withUnsafeMutableBytes { t in metadata.withUnsafeBytes { m in key.tag([UnsafeRawBufferPointer(t), m]) } }
    }

    func encoded() -> [UInt8] {
        var bytes = Array(text(withTag: true).utf8)
        bytes += [UInt8](repeating: 0, count: max(0, userBlockSize - bytes.count))
        return bytes
    }

    /// Parses a manifest; nil when `head` does not start with the magic line (a file written
    /// by another writer, e.g. plain h5py).
    static func parse(_ bytes: [UInt8], file: String) throws -> FileManifest? {
        guard bytes.starts(with: Array(magic.utf8)) else { return nil }
        func bad(_ why: String) -> CheckpointError { .malformed(file: file, path: "/", reason: "manifest: \(why)") }
        let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
        let lines = String(decoding: bytes[..<end], as: UTF8.self).split(separator: "\n").dropFirst()
        var it = lines.makeIterator()
        func field(_ name: String) throws -> Substring {
            guard let line = it.next(), line.hasPrefix(name + " ") else { throw bad("expected '\(name)'") }
            return line.dropFirst(name.count + 1)
        }
        guard let ub = Int(try field("userblock")), ub >= 512, ub & (ub - 1) == 0 else { throw bad("bad userblock") }
        guard let size = Int(try field("file_size")), size >= ub else { throw bad("bad file_size") }
        guard let hash = UInt64(try field("metadata_xxh64"), radix: 16) else { throw bad("bad metadata_xxh64") }
        var next = it.next()
        var tag: UInt64?
        if let line = next, line.hasPrefix("metadata_siphash24 ") {
            guard let t = UInt64(line.dropFirst("metadata_siphash24 ".count), radix: 16) else { throw bad("bad metadata_siphash24") }
            tag = t
            next = it.next()
        }
        guard let rangesLine = next, rangesLine.hasPrefix("tensor_ranges "),
              let n = Int(rangesLine.dropFirst("tensor_ranges ".count)), n >= 0, n <= maxTensorRanges
        else { throw bad("bad tensor_ranges") }
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(min(n, 1 << 16))
        var last = ub
        for _ in 0..<n {
            guard let line = it.next() else { throw bad("\(n) tensor ranges announced, fewer listed") }
            let parts = line.split(separator: " ")
            guard parts.count == 2, let o = Int(parts[0]), let l = Int(parts[1]), o >= last, l > 0,
                  o <= size, l <= size - o
            else { throw bad("tensor range '\(line)' is out of order or outside the file") }
            ranges.append(o..<(o + l))
            last = o + l
        }
        return FileManifest(userBlockSize: ub, fileSize: size, metadataHash: hash, tensorRanges: ranges, metadataTag: tag)
    }

    /// The file's bytes in `[userBlockSize, fileSize)` outside `tensorRanges`, concatenated.
    static func metadataBytes(fd: Int32, userBlockSize: Int, fileSize: Int, tensorRanges: [Range<Int>],
                              file: String) throws -> [UInt8] {
        var gaps: [Range<Int>] = []
        var pos = userBlockSize
        for r in tensorRanges {
            if r.lowerBound > pos { gaps.append(pos..<r.lowerBound) }
            pos = max(pos, r.upperBound)
        }
        if fileSize > pos { gaps.append(pos..<fileSize) }
        let total = gaps.reduce(0) { $0 + $1.count }
        var buffer = [UInt8](repeating: 0, count: total)
        var at = 0
        try buffer.withUnsafeMutableBytes { buf in
            for g in gaps {
                var done = 0
                while done < g.count {
                    let n = pread(fd, buf.baseAddress! + at + done, g.count - done, off_t(g.lowerBound + done))
                    if n <= 0 {
                        throw CheckpointError.unreadable(file: file, path: "/",
                                                         reason: "cannot read bytes \(g.lowerBound + done)..<\(g.upperBound)")
                    }
                    done += n
                }
                at += g.count
            }
        }
        return buffer
    }

    /// Writes the manifest into the user block of the closed HDF5 file open as `fd` (the
    /// descriptor `AtomicFile` opened without following symlinks; never a path).
    static func write(fd: Int32, userBlockSize: Int, tensorRanges: [Range<Int>], reportingAs file: String) throws {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw CheckpointError.io(file: file, operation: "stat", reason: AtomicFile.errnoText()) }
        let size = Int(st.st_size)
        let ranges = tensorRanges.sorted { $0.lowerBound < $1.lowerBound }
        let metadata = try metadataBytes(fd: fd, userBlockSize: userBlockSize, fileSize: size, tensorRanges: ranges, file: file)
        var manifest = FileManifest(userBlockSize: userBlockSize, fileSize: size,
                                    metadataHash: metadata.withUnsafeBytes { Checksum.xxh64($0) }, tensorRanges: ranges)
        if let key = ManifestKey.current(create: true) { manifest.metadataTag = manifest.expectedTag(key: key, metadata: metadata) }
        let bytes = manifest.encoded()
        guard bytes.count == userBlockSize else {
            throw CheckpointError.io(file: file, operation: "write manifest", reason: "manifest exceeds the user block")
        }
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, 0) }
        guard n == bytes.count else {
            throw CheckpointError.io(file: file, operation: "write manifest", reason: AtomicFile.errnoText())
        }
    }

    /// Checks the manifest of the file at `path`, if it has one, before HDF5 opens it.
    @discardableResult
    static func verify(_ path: String) throws -> Verdict {
        // O_NONBLOCK: a FIFO must not block the open; only regular files have a manifest.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return .absent }  // HDF5File.open reports the error with its own words
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return .absent }
        return try verify(fd: fd, reportingAs: path)
    }

    /// Checks the manifest of the file open as `fd`: throws on a mismatch, says whether it is
    /// signed by this user's `ManifestKey`.
    static func verify(fd: Int32, reportingAs path: String) throws -> Verdict {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return .absent }
        let size = Int(st.st_size)
        var head = [UInt8](repeating: 0, count: min(512, size))
        guard head.withUnsafeMutableBytes({ pread(fd, $0.baseAddress!, $0.count, 0) }) == head.count,
              head.starts(with: Array(magic.utf8))
        else { return .absent }
        // Read the whole user block (its size is on the second line).
        let ubLine = String(decoding: head, as: UTF8.self).split(separator: "\n").dropFirst().first ?? ""
        guard let ub = Int(ubLine.dropFirst("userblock ".count)), ub >= 512, ub & (ub - 1) == 0, ub <= size else {
            throw CheckpointError.malformed(file: path, path: "/", reason: "manifest: bad userblock")
        }
        var block = [UInt8](repeating: 0, count: ub)
        guard block.withUnsafeMutableBytes({ pread(fd, $0.baseAddress!, $0.count, 0) }) == ub else {
            throw CheckpointError.unreadable(file: path, path: "/", reason: "cannot read the manifest")
        }
        guard let m = try parse(block, file: path) else { return .absent }
        guard m.fileSize == size else {
            throw CheckpointError.unreadable(file: path, path: "/",
                                             reason: ManifestMismatch.sizeReason(file: path, actual: size, saved: m.fileSize))
        }
        let metadata = try metadataBytes(fd: fd, userBlockSize: ub, fileSize: size, tensorRanges: m.tensorRanges, file: path)
        let actual = metadata.withUnsafeBytes { Checksum.xxh64($0) }
        if actual != m.metadataHash {
            throw CheckpointError.checksumMismatch(file: path, path: "/", expected: Checksum.format(m.metadataHash),
                                                   actual: Checksum.format(actual))
        }
        guard let tag = m.metadataTag, let key = ManifestKey.current(create: false) else { return .verified(signed: false) }
        return .verified(signed: m.expectedTag(key: key, metadata: metadata) == tag)
    }
}
