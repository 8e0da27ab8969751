#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels
import CkptCore
import Dispatch

/// XXH64 of byte ranges of a file, read with `pread` in cache-sized chunks and hashed as they
/// arrive (`ckpt_xxh64_stripes_nonfinite`), ranges spread over every core: `ckpt verify`'s inner loop.
/// Memory: one chunk per worker, whatever the ranges' sizes.
enum ChunkedHash {
    /// Bytes per read: a multiple of 32 (whole XXH64 stripes) that stays in a core's L2 cache
    /// between the copy out of the page cache and the hash.
    static let chunkBytes = 256 << 10

    /// The hash of each of `ranges` of the file open as `fd`, in order. Throws
    /// `CheckpointError.unreadable` naming `file` when a range cannot be read whole.
    static func hash(fd: Int32, ranges: [Range<Int>], file: String) throws -> [UInt64] {
        try hash(fd: fd, ranges: ranges, scanning: nil, file: file).hashes
    }

    /// `hash`, also counting the NaN and infinite elements of each range whose `scanning`
    /// entry is a floating-point dtype, in the chunk just read (still in cache: `ckpt verify`'s
    /// check for non-finite values costs no second read). Chunks hold whole elements.
    static func hash(fd: Int32, ranges: [Range<Int>], scanning dtypes: [DType?]?,
                     file: String) throws -> (hashes: [UInt64], nonFinite: [NonFiniteCount]) {
        let workers = max(1, min(ranges.count, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let results = ResultSlots(count: ranges.count)
        let next = NextIndex()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunkBytes, alignment: 64)
            defer { buffer.deallocate() }
            while let i = next.take(below: ranges.count) {
                let dtype = dtypes?[i].flatMap { $0.isFloatingPoint ? $0 : nil }
                results.set(i, hashRange(fd: fd, ranges[i], buffer, scanning: dtype))
            }
        }
        var hashes: [UInt64] = [], counts: [NonFiniteCount] = []
        for i in 0..<ranges.count {
            guard let r = results.get(i) else {
                throw CheckpointError.unreadable(file: file, path: "/",
                                                 reason: "cannot read bytes \(ranges[i].lowerBound)..<\(ranges[i].upperBound)")
            }
            hashes.append(r.hash)
            counts.append(r.nonFinite)
        }
        return (hashes, counts)
    }

    /// Nil when a read fails or ends early.
    private static func hashRange(fd: Int32, _ range: Range<Int>, _ buffer: UnsafeMutableRawPointer,
                                  scanning dtype: DType?) -> (hash: UInt64, nonFinite: NonFiniteCount)? {
        var state = ckpt_xxh64_state()
        ckpt_xxh64_init(&state, 0)
        var at = range.lowerBound
        var counts = NonFiniteCount()
        let (width, mask) = dtype.map { (Int32($0.size), exponentMask($0)) } ?? (0, 0)
        while true {
            let n = min(chunkBytes, range.upperBound - at)
            var got = 0
            while got < n {
                let r = pread(fd, buffer + got, n - got, off_t(at + got))
                if r < 0 && errno == EINTR { continue }
                if r <= 0 { return nil }
                got += r
            }
            at += n
            // One pass hashes the chunk's whole stripes and counts the elements whose exponent
            // is all ones; NaN and infinity are told apart only in a chunk that holds any.
            let special = ckpt_xxh64_stripes_nonfinite(&state, buffer, n, width, mask)
            if special > 0, let dtype {
                let c = NonFiniteCount(bytes: UnsafeRawBufferPointer(start: buffer, count: n), dtype: dtype, special: special)
                counts.nan += c.nan
                counts.infinite += c.infinite
            }
            if at == range.upperBound {
                let whole = n & ~31
                return (ckpt_xxh64_final(&state, buffer + whole, n - whole), counts)
            }
        }
    }

    /// The exponent bits of a floating-point `dtype` (all set: NaN or infinity); 0 otherwise.
    static func exponentMask(_ dtype: DType) -> UInt64 {
        switch dtype {
        case .float32: 0x7f80_0000
        case .float64: 0x7ff0_0000_0000_0000
        case .float16: 0x7c00
        case .bfloat16: 0x7f80
        case .int64, .int32, .int16, .int8, .uint8, .bool: 0
        }
    }
}

/// Per-range results written by the workers (each slot by one worker only).
private final class ResultSlots: @unchecked Sendable {
    private var slots: UnsafeMutableBufferPointer<(hash: UInt64, nonFinite: NonFiniteCount)?>
    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }
    deinit { slots.deallocate() }
    func set(_ i: Int, _ r: (hash: UInt64, nonFinite: NonFiniteCount)?) { slots[i] = r }
    func get(_ i: Int) -> (hash: UInt64, nonFinite: NonFiniteCount)? { slots[i] }
}

/// Hands out indices 0, 1, 2, ... to workers.
private final class NextIndex: @unchecked Sendable {
    private var value = 0
    private var lock = pthread_mutex_t()
    init() { pthread_mutex_init(&lock, nil) }
    deinit { pthread_mutex_destroy(&lock) }
    func take(below n: Int) -> Int? {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        guard value < n else { return nil }
        value += 1
        return value - 1
    }
}
