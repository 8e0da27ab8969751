/// A read-only view of an untrusted zip archive of the kind `torch.save` writes (PyTorch ≥ 1.6:
/// every entry stored, uncompressed; ZIP64 records once the file or an entry passes 4 GiB).
///
/// The archive is validated whole before any entry is read, so every later read stays in
/// bounds and no two entries share bytes:
/// - the end-of-central-directory record ends the file exactly (no trailing bytes or comment
///   that does not fit); its ZIP64 record and locator are used when a field says so, and must
///   be where they claim; one disk only;
/// - the central directory lies inside the file, before the end records, holds exactly the
///   announced number of entries (at most `maxEntries`) and nothing after them;
/// - each entry: not encrypted, method 0 (stored; anything compressed is refused, naming the
///   method), compressed size equal to the size, a UTF-8 name that is not empty, absolute,
///   with a backslash, NUL or a `..` component, and not a duplicate; its local header agrees
///   with the central directory on the name and the method; its bytes end before the
///   central directory and overlap no other entry's local header or bytes.
/// Sizes are 64-bit in the records and checked with overflow in mind before any arithmetic.
/// Errors are `CheckpointError.malformed(file:path:reason:)` with the entry name (or
/// `zip` for the archive's own records) as the path.
final class ZipArchive {
    /// One stored entry whose bytes are `[dataOffset, dataOffset + size)` of the file.
    struct Entry: Equatable {
        var name: String
        var size: Int
        var crc32: UInt32
        var localHeaderOffset: Int
        var dataOffset: Int
    }

    /// Refused beyond this many entries (a torch.save file holds one per storage plus six).
    static let maxEntries = 1_000_000
    /// Refused beyond this many bytes of central directory.
    static let maxCentralDirectoryBytes = 256 << 20

    let source: ByteSource
    /// Entries in central-directory order.
    let entries: [Entry]
    private let index: [String: Int]

    var file: String { source.file }

    init(_ source: ByteSource) throws {
        self.source = source
        let entries = try Self.readDirectory(source)
        self.entries = entries
        var index: [String: Int] = [:]
        for (i, e) in entries.enumerated() { index[e.name] = i }
        self.index = index
    }

    /// Whether `bytes` begin as a zip file does (a local file header, or an empty archive).
    static func hasSignature(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x50 && bytes[1] == 0x4B
            && ((bytes[2] == 3 && bytes[3] == 4) || (bytes[2] == 5 && bytes[3] == 6))
    }

    func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// The entry's bytes; with `verifyCRC`, they must match the central directory's CRC-32.
    func read(_ entry: Entry, verifyCRC: Bool = true) throws -> [UInt8] {
        guard verifyCRC else { return try source.bytes(at: entry.dataOffset, count: entry.size, what: entry.name) }
        guard entry.size >= 0, entry.size <= source.size else {
            throw CheckpointError.malformed(file: file, path: entry.name, reason: "\(entry.size) bytes requested from a \(source.size)-byte file")
        }
        var bytes = [UInt8](repeating: 0, count: entry.size)
        try bytes.withUnsafeMutableBytes { try read(entry, into: $0) }
        return bytes
    }

    /// Reads the entry's bytes into `buffer` (exactly `entry.size` bytes) and checks their
    /// CRC-32 in the same pass.
    func read(_ entry: Entry, into buffer: UnsafeMutableRawBufferPointer) throws {
        try check(entry, crc: source.readChecksummed(into: buffer, at: entry.dataOffset, what: entry.name))
    }

    func checkCRC(_ entry: Entry, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try checkCRC(entry, $0) }
    }

    func checkCRC(_ entry: Entry, _ bytes: UnsafeRawBufferPointer) throws {
        try check(entry, crc: CRC32.update(0, bytes))
    }

    /// Throws unless `crc` is the entry's CRC-32 in the central directory.
    func check(_ entry: Entry, crc: UInt32) throws {
        guard crc == entry.crc32 else {
            throw CheckpointError.malformed(file: file, path: entry.name, reason: "CRC-32 mismatch (the zip directory says \(Self.hex(entry.crc32)), the bytes give \(Self.hex(crc))): the entry is corrupt")
        }
    }

    // MARK: - parsing

    private static let eocdSignature = 0x0605_4B50
    private static let zip64LocatorSignature = 0x0706_4B50
    private static let zip64EOCDSignature = 0x0606_4B50
    private static let centralSignature = 0x0201_4B50
    private static let localSignature = 0x0403_4B50

    private static func readDirectory(_ src: ByteSource) throws -> [Entry] {
        let file = src.file
        func bad(_ path: String, _ reason: String) -> CheckpointError { .malformed(file: file, path: path, reason: reason) }

        // End of central directory: 22 bytes + a comment of up to 65535, ending the file.
        guard src.size >= 22 else { throw bad("zip", "\(src.size) bytes: too short for a zip archive (no end-of-central-directory record)") }
        let tailCount = min(src.size, 22 + 65_535)
        let tailStart = src.size - tailCount
        let tail = try src.bytes(at: tailStart, count: tailCount, what: "zip")
        let t = LittleEndianReader(tail)
        var eocdAt: Int?
        var i = tailCount - 22
        while i >= 0 {
            if t.u32(i) == eocdSignature, let commentLength = t.u16(i + 20), i + 22 + commentLength == tailCount {
                eocdAt = i
                break
            }
            i -= 1
        }
        guard let eocd = eocdAt else {
            throw bad("zip", "no end-of-central-directory record ends the file: not a zip archive, or truncated")
        }
        let e = LittleEndianReader(tail, at: eocd)
        let eocdOffset = tailStart + eocd
        var disk = e.u16(4)!, cdDisk = e.u16(6)!
        var diskEntries = UInt64(e.u16(8)!), count = UInt64(e.u16(10)!)
        var cdSize = UInt64(e.u32(12)!), cdOffset = UInt64(e.u32(16)!)
        var endOfDirectory = eocdOffset

        let needs64 = diskEntries == 0xFFFF || count == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF
        if needs64 || (eocd >= 20 && t.u32(eocd - 20) == zip64LocatorSignature) {
            guard eocd >= 20, t.u32(eocd - 20) == zip64LocatorSignature else {
                throw bad("zip", "the end record asks for ZIP64 but no ZIP64 locator precedes it")
            }
            let l = LittleEndianReader(tail, at: eocd - 20)
            guard l.u32(4) == 0, l.u32(16) == 1 else { throw bad("zip", "multi-disk archives are not supported") }
            let recordOffset64 = l.u64(8)!
            let locatorOffset = eocdOffset - 20
            guard recordOffset64 <= UInt64(locatorOffset), locatorOffset - Int(recordOffset64) >= 56 else {
                throw bad("zip", "the ZIP64 locator points to \(recordOffset64), outside the file before it")
            }
            let recordOffset = Int(recordOffset64)
            let rec = try src.bytes(at: recordOffset, count: 56, what: "zip")
            let r = LittleEndianReader(rec)
            guard r.u32(0) == zip64EOCDSignature else { throw bad("zip", "no ZIP64 end record at offset \(recordOffset)") }
            let recordSize = r.u64(4)!
            guard recordSize >= 44, recordSize <= UInt64(locatorOffset - recordOffset - 12) else {
                throw bad("zip", "the ZIP64 end record's size \(recordSize) does not fit before its locator")
            }
            // The classic record's fields are sentinels or the same numbers (torch.save
            // writes both records, with the real values in each while they fit).
            let classic = [(UInt64(disk), 0xFFFF, r.u32(16)!), (UInt64(cdDisk), 0xFFFF, r.u32(20)!),
                           (diskEntries, 0xFFFF, Int(r.u64(24)!)), (count, 0xFFFF, Int(truncatingIfNeeded: r.u64(32)!)),
                           (cdSize, 0xFFFF_FFFF, Int(truncatingIfNeeded: r.u64(40)!)), (cdOffset, 0xFFFF_FFFF, Int(truncatingIfNeeded: r.u64(48)!))]
            for (i, (old, sentinel, new)) in classic.enumerated() where old != UInt64(sentinel) && old != UInt64(truncatingIfNeeded: new) {
                let field = ["disk number", "directory disk", "entries on this disk", "entry count", "directory size", "directory offset"][i]
                throw bad("zip", "the end record and the ZIP64 end record disagree on the \(field) (\(old) vs \(UInt64(truncatingIfNeeded: new)))")
            }
            disk = r.u32(16)!; cdDisk = r.u32(20)!
            diskEntries = r.u64(24)!; count = r.u64(32)!
            cdSize = r.u64(40)!; cdOffset = r.u64(48)!
            endOfDirectory = recordOffset
        }
        guard disk == 0, cdDisk == 0, diskEntries == count else { throw bad("zip", "multi-disk archives are not supported") }
        guard count <= UInt64(maxEntries) else { throw bad("zip", "\(count) entries exceeds the limit of \(maxEntries)") }
        guard cdSize <= UInt64(maxCentralDirectoryBytes) else {
            throw bad("zip", "a central directory of \(cdSize) bytes exceeds the limit of \(maxCentralDirectoryBytes)")
        }
        guard cdOffset <= UInt64(endOfDirectory), cdSize <= UInt64(endOfDirectory) - cdOffset else {
            throw bad("zip", "the central directory [\(cdOffset), +\(cdSize)) does not lie before the end records at \(endOfDirectory)")
        }
        guard UInt64(endOfDirectory) - cdOffset == cdSize else {
            throw bad("zip", "\(UInt64(endOfDirectory) - cdOffset - cdSize) unexplained bytes between the central directory and the end records")
        }
        guard count * 46 <= cdSize else { throw bad("zip", "\(count) entries cannot fit in a \(cdSize)-byte central directory") }

        let dirStart = Int(cdOffset)
        let dir = try src.bytes(at: dirStart, count: Int(cdSize), what: "zip")
        var entries: [Entry] = []
        entries.reserveCapacity(Int(count))
        var names = Set<String>()
        var at = 0
        for n in 0..<Int(count) {
            let c = LittleEndianReader(dir, at: at)
            let what = "zip central directory entry \(n)"
            guard c.u32(0) == centralSignature, let nameLength = c.u16(28), let extraLength = c.u16(30),
                  let commentLength = c.u16(32), at + 46 + nameLength + extraLength + commentLength <= dir.count
            else { throw bad(what, "truncated or missing central directory header at offset \(dirStart + at)") }
            let nameBytes = dir[(at + 46)..<(at + 46 + nameLength)]
            guard let name = String(validating: nameBytes, as: UTF8.self) else { throw bad(what, "the entry name is not UTF-8") }
            let flags = c.u16(8)!, method = c.u16(10)!
            let crc = UInt32(c.u32(16)!)
            var compressed = UInt64(c.u32(20)!), size = UInt64(c.u32(24)!)
            let startDisk = c.u16(34)!
            var local = UInt64(c.u32(42)!)
            // ZIP64 extended information (id 1): present fields only, in this order.
            var x = at + 46 + nameLength
            let extraEnd = x + extraLength
            while x + 4 <= extraEnd {
                let id = Int(dir[x]) | Int(dir[x + 1]) << 8, len = Int(dir[x + 2]) | Int(dir[x + 3]) << 8
                guard x + 4 + len <= extraEnd else { throw bad(name, "an extra field runs past its header") }
                if id == 1 {
                    let z = LittleEndianReader(Array(dir[(x + 4)..<(x + 4 + len)]))
                    var p = 0
                    func next() throws -> UInt64 {
                        guard let v = z.u64(p) else { throw bad(name, "the ZIP64 extra field is too short") }
                        p += 8
                        return v
                    }
                    if size == 0xFFFF_FFFF { size = try next() }
                    if compressed == 0xFFFF_FFFF { compressed = try next() }
                    if local == 0xFFFF_FFFF { local = try next() }
                }
                x += 4 + len
            }
            guard startDisk == 0 || startDisk == 0xFFFF else { throw bad(name, "the entry starts on disk \(startDisk): multi-disk archives are not supported") }
            try checkName(name, file: file)
            guard flags & 1 == 0 else { throw bad(name, "the entry is encrypted") }
            guard method == 0 else {
                throw bad(name, "the entry is compressed (method \(method)\(method == 8 ? ", deflate" : "")); torch.save stores entries uncompressed, and ckpt reads only stored entries")
            }
            guard compressed == size else { throw bad(name, "a stored entry whose compressed size \(compressed) differs from its size \(size)") }
            guard local < cdOffset, size <= cdOffset - local else {
                throw bad(name, "the entry at offset \(local) with \(size) bytes runs into the central directory at \(cdOffset)")
            }
            guard names.insert(name).inserted else { throw bad(name, "the name appears twice in the zip directory") }
            entries.append(Entry(name: name, size: Int(size), crc32: crc, localHeaderOffset: Int(local), dataOffset: 0))
            at += 46 + nameLength + extraLength + commentLength
        }
        guard at == dir.count else { throw bad("zip", "\(dir.count - at) unexplained bytes after the last central directory entry") }

        // Local headers: agree with the directory; data after them, before the directory.
        for k in entries.indices {
            let name = entries[k].name
            let head = try src.bytes(at: entries[k].localHeaderOffset, count: min(30, src.size - entries[k].localHeaderOffset), what: name)
            let h = LittleEndianReader(head)
            guard h.u32(0) == localSignature, let nameLength = h.u16(26), let extraLength = h.u16(28) else {
                throw bad(name, "no local header at offset \(entries[k].localHeaderOffset), where the central directory points")
            }
            guard h.u16(8) == 0 else { throw bad(name, "the local header says compression method \(h.u16(8)!), the central directory says stored") }
            let localName = try src.bytes(at: entries[k].localHeaderOffset + 30, count: nameLength, what: name)
            guard localName.elementsEqual(name.utf8) else {
                throw bad(name, "the local header names the entry \(String(decoding: localName, as: UTF8.self).debugDescription)")
            }
            let data = entries[k].localHeaderOffset + 30 + nameLength + extraLength
            guard data <= dirStart, entries[k].size <= dirStart - data else {
                throw bad(name, "the entry's bytes [\(data), +\(entries[k].size)) run into the central directory at \(dirStart)")
            }
            entries[k].dataOffset = data
        }
        // No two entries may share bytes (local header through data).
        let spans = entries.sorted { $0.localHeaderOffset < $1.localHeaderOffset }
        for (a, b) in zip(spans, spans.dropFirst()) where a.dataOffset + a.size > b.localHeaderOffset {
            throw bad(b.name, "the entry overlaps \(a.name) (its bytes end at \(a.dataOffset + a.size), this entry starts at \(b.localHeaderOffset))")
        }
        return entries
    }

    /// Refuses names a careless extractor would write outside its directory, and names no
    /// torch.save file has.
    private static func checkName(_ name: String, file: String) throws {
        func bad(_ reason: String) -> CheckpointError { .malformed(file: file, path: name.debugDescription, reason: reason) }
        guard !name.isEmpty, name.utf8.count <= 4096 else { throw bad("an entry name must have 1 to 4096 bytes") }
        guard !name.hasPrefix("/"), !name.contains("\\"), !name.contains("\0") else {
            throw bad("an entry name must be a relative path without backslashes or NUL")
        }
        guard !name.split(separator: "/", omittingEmptySubsequences: false).contains("..") else {
            throw bad("an entry name must not contain a '..' component")
        }
    }
}

extension ZipArchive {
    static func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - s.count) + s
    }
}
