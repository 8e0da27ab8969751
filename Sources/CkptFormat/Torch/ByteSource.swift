#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random-access bytes of an untrusted file: an open descriptor (read with `pread`, so a
/// 1 GiB file is never held whole) or bytes in memory (tests, the fuzzer).
///
/// Every read is checked against `size` before it happens: a range outside the source is an
/// error naming the file, never a short read treated as data.
final class ByteSource {
    private enum Backing { case descriptor(Int32), memory([UInt8]) }
    private let backing: Backing
    /// The file's name in errors.
    let file: String
    let size: Int

    /// Opens `path` read-only; the descriptor closes when the source is released.
    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)  // a FIFO must not block the open
        guard fd >= 0 else { throw CheckpointError.unreadable(file: path, path: "/", reason: DescriptorCalls.errnoText()) }
        guard let st = DescriptorCalls.status(fd), DescriptorCalls.kind(st) == S_IFREG else {
            close(fd)
            throw CheckpointError.unreadable(file: path, path: "/", reason: "not a regular file")
        }
        backing = .descriptor(fd)
        file = path
        size = Int(st.st_size)
    }

    init(bytes: [UInt8], file: String) {
        backing = .memory(bytes)
        self.file = file
        size = bytes.count
    }

    deinit { if case .descriptor(let fd) = backing { close(fd) } }

    /// Fills `buffer` with the bytes at `offset`; `what` names the object read in errors.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int, what: String) throws {
        guard offset >= 0, buffer.count <= size, offset <= size - buffer.count else {
            throw CheckpointError.malformed(file: file, path: what,
                                            reason: "bytes [\(offset), \(offset &+ buffer.count)) lie outside the \(size)-byte file")
        }
        guard buffer.count > 0, let base = buffer.baseAddress else { return }
        switch backing {
        case .memory(let bytes):
            bytes.withUnsafeBytes { src in base.copyMemory(from: src.baseAddress! + offset, byteCount: buffer.count) }
        case .descriptor(let fd):
            var done = 0
            while done < buffer.count {
                let r = pread(fd, base + done, buffer.count - done, off_t(offset + done))
                if r < 0, errno == EINTR { continue }
                guard r > 0 else {
                    throw CheckpointError.unreadable(file: file, path: what,
                                                     reason: r == 0 ? "the file ended early (it shrank while being read)" : DescriptorCalls.errnoText())
                }
                done += r
            }
        }
    }

    /// `read(into:at:what:)` that also returns the CRC-32 of the bytes, in one pass: each
    /// chunk is checksummed right after it lands in `buffer`, while it is still in cache.
    func readChecksummed(into buffer: UnsafeMutableRawBufferPointer, at offset: Int, what: String) throws -> UInt32 {
        var crc: UInt32 = 0, done = 0
        while done < buffer.count {
            let n = min(CRC32.chunk, buffer.count - done)
            let part = UnsafeMutableRawBufferPointer(rebasing: buffer[done..<(done + n)])
            try read(into: part, at: offset + done, what: what)
            crc = CRC32.update(crc, UnsafeRawBufferPointer(part))
            done += n
        }
        return crc
    }

    /// `count` bytes at `offset` as an array.
    func bytes(at offset: Int, count: Int, what: String) throws -> [UInt8] {
        guard count >= 0, count <= size else {
            throw CheckpointError.malformed(file: file, path: what, reason: "\(count) bytes requested from a \(size)-byte file")
        }
        var out = [UInt8](repeating: 0, count: count)
        try out.withUnsafeMutableBytes { try read(into: $0, at: offset, what: what) }
        return out
    }
}

/// Little-endian integer reads from a byte array at checked offsets (the zip records).
struct LittleEndianReader {
    let bytes: [UInt8]
    let base: Int

    init(_ bytes: [UInt8], at base: Int = 0) {
        self.bytes = bytes
        self.base = base
    }

    /// The unsigned integer of `width` bytes at `base + offset`, or nil past the end.
    func uint(_ offset: Int, _ width: Int) -> UInt64? {
        let start = base + offset
        guard start >= 0, width <= 8, start <= bytes.count - width else { return nil }
        var v: UInt64 = 0
        for i in (0..<width).reversed() { v = v << 8 | UInt64(bytes[start + i]) }
        return v
    }

    func u16(_ offset: Int) -> Int? { uint(offset, 2).map { Int($0) } }
    func u32(_ offset: Int) -> Int? { uint(offset, 4).map { Int($0) } }
    func u64(_ offset: Int) -> UInt64? { uint(offset, 8) }
}
