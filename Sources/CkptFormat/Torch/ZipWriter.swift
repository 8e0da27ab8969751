/// Writes a zip archive the way PyTorch's `PyTorchStreamWriter` (miniz) does for `torch.save`:
/// every entry stored (method 0), its data aligned to `alignment` (64, the archive's
/// `.storage_alignment`) by an extra field `"FB"` of `Z` bytes in the local header, so a
/// reader can map tensors in place; CRC-32 and sizes in the local header and the central
/// directory; ZIP64 fields for an entry whose size or offset passes 4 GiB; and both the ZIP64
/// end record with its locator and the classic end record, as torch.save always writes them.
///
/// `put` receives the bytes in file order (a file descriptor's writes); nothing is held back
/// except the central directory, so a tensor is written straight from its own buffer.
/// `patch` overwrites bytes already put (a `pwrite`): a streamed entry's CRC-32 is known only
/// once its bytes are written, and goes into its local header afterwards.
struct ZipWriter {
    static let alignment = 64
    private struct Central { var name: [UInt8]; var crc: UInt32; var size: Int; var offset: Int }
    private var central: [Central] = []
    private(set) var offset = 0
    private let put: (UnsafeRawBufferPointer) throws -> Void
    private let patch: (_ offset: Int, _ bytes: [UInt8]) throws -> Void

    init(put: @escaping (UnsafeRawBufferPointer) throws -> Void,
         patch: @escaping (_ offset: Int, _ bytes: [UInt8]) throws -> Void) {
        self.put = put
        self.patch = patch
    }

    /// Adds an entry written from `bytes` in cache-sized chunks, each checksummed just before
    /// it is written (one pass over a tensor instead of a checksum pass, then a write pass);
    /// the CRC-32 is then patched into the local header (at byte 14) and kept for the central
    /// directory.
    mutating func addStreamed(_ name: String, _ bytes: UnsafeRawBufferPointer) throws {
        let header = offset
        var crc: UInt32 = 0
        let put = self.put
        try add(name, size: bytes.count, crc: 0) {
            var done = 0
            while done < bytes.count {
                let part = UnsafeRawBufferPointer(rebasing: bytes[done..<(done + min(CRC32.chunk, bytes.count - done))])
                crc = CRC32.update(crc, part)
                try put(part)
                done += part.count
            }
        }
        central[central.count - 1].crc = crc
        var le: [UInt8] = []
        le.u32(crc)
        try patch(header + 14, le)
    }

    private mutating func emit(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes(put)
        offset += bytes.count
    }

    /// Adds an entry whose bytes are `parts` one after another (a tensor's buffer, or a
    /// converted copy); the CRC is computed over them before the header is written.
    mutating func add(_ name: String, size: Int, crc: UInt32, write: () throws -> Void) throws {
        let nameBytes = Array(name.utf8)
        let big = size >= 0xFFFF_FFFF
        var h: [UInt8] = []
        h.reserveCapacity(30 + nameBytes.count + 20 + Self.alignment + 4)
        h.u32(0x0403_4B50)
        h.u16(big ? 45 : 20)      // version needed
        h.u16(0x0800)             // names are UTF-8
        h.u16(0); h.u16(0); h.u16(0x21)  // stored; time 00:00; date 1980-01-01
        h.u32(crc)
        h.u32(big ? 0xFFFF_FFFF : UInt32(size)); h.u32(big ? 0xFFFF_FFFF : UInt32(size))
        h.u16(UInt16(nameBytes.count))
        let zip64 = big ? 20 : 0
        let before = offset + 30 + nameBytes.count + zip64 + 4
        let pad = (Self.alignment - before % Self.alignment) % Self.alignment
        h.u16(UInt16(zip64 + 4 + pad))
        h.append(contentsOf: nameBytes)
        if big { h.u16(1); h.u16(16); h.u64(UInt64(size)); h.u64(UInt64(size)) }
        h.append(contentsOf: [0x46, 0x42]); h.u16(UInt16(pad))  // "FB" padding, as PyTorch's writer
        h.append(contentsOf: repeatElement(0x5A, count: pad))
        central.append(Central(name: nameBytes, crc: crc, size: size, offset: offset))
        try emit(h)
        try write()
        offset += size
    }

    /// Adds a small entry held in memory.
    mutating func add(_ name: String, _ bytes: [UInt8]) throws {
        let put = self.put
        try add(name, size: bytes.count, crc: CRC32.checksum(bytes)) { try bytes.withUnsafeBytes(put) }
    }

    /// The central directory and the end records.
    mutating func finish() throws {
        let start = offset
        var d: [UInt8] = []
        for e in central {
            let bigSize = e.size >= 0xFFFF_FFFF, bigOffset = e.offset >= 0xFFFF_FFFF
            var extra: [UInt8] = []
            if bigSize { extra.u64(UInt64(e.size)); extra.u64(UInt64(e.size)) }
            if bigOffset { extra.u64(UInt64(e.offset)) }
            d.u32(0x0201_4B50)
            d.u16(0x031E)                               // made by: Unix, 3.0
            d.u16(bigSize || bigOffset ? 45 : 20)
            d.u16(0x0800); d.u16(0); d.u16(0); d.u16(0x21)
            d.u32(e.crc)
            d.u32(bigSize ? 0xFFFF_FFFF : UInt32(e.size)); d.u32(bigSize ? 0xFFFF_FFFF : UInt32(e.size))
            d.u16(UInt16(e.name.count))
            d.u16(UInt16(extra.isEmpty ? 0 : 4 + extra.count))
            d.u16(0); d.u16(0); d.u16(0); d.u32(0)     // comment, disk, attributes
            d.u32(bigOffset ? 0xFFFF_FFFF : UInt32(e.offset))
            d.append(contentsOf: e.name)
            if !extra.isEmpty { d.u16(1); d.u16(UInt16(extra.count)); d.append(contentsOf: extra) }
        }
        let count = central.count, size = d.count
        let end64 = start + size
        // ZIP64 end record and locator.
        d.u32(0x0606_4B50); d.u64(44); d.u16(0x031E); d.u16(45); d.u32(0); d.u32(0)
        d.u64(UInt64(count)); d.u64(UInt64(count)); d.u64(UInt64(size)); d.u64(UInt64(start))
        d.u32(0x0706_4B50); d.u32(0); d.u64(UInt64(end64)); d.u32(1)
        // Classic end record: the real numbers while they fit, sentinels beyond.
        d.u32(0x0605_4B50); d.u16(0); d.u16(0)
        d.u16(UInt16(min(count, 0xFFFF))); d.u16(UInt16(min(count, 0xFFFF)))
        d.u32(UInt32(min(size, 0xFFFF_FFFF))); d.u32(UInt32(min(start, 0xFFFF_FFFF)))
        d.u16(0)
        try emit(d)
    }
}

extension [UInt8] {
    fileprivate mutating func u16(_ v: UInt16) { append(UInt8(v & 0xFF)); append(UInt8(v >> 8)) }
    fileprivate mutating func u32(_ v: UInt32) { for k in 0..<4 { append(UInt8((v >> (8 * k)) & 0xFF)) } }
    fileprivate mutating func u64(_ v: UInt64) { for k in 0..<8 { append(UInt8((v >> (8 * k)) & 0xFF)) } }
}
