#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels
import Dispatch

/// XXH64 of byte ranges of a file, read with `pread` in cache-sized chunks and hashed as they
/// arrive (`ckpt_xxh64_stripes`), ranges spread over every core: `ckpt verify`'s inner loop.
/// Memory: one chunk per worker, whatever the ranges' sizes.
enum ChunkedHash {
    /// Bytes per read: a multiple of 32 (whole XXH64 stripes) that stays in a core's L2 cache
    /// between the copy out of the page cache and the hash.
    static let chunkBytes = 256 << 10

    /// The hash of each of `ranges` of the file open as `fd`, in order. Throws
    /// `CheckpointError.unreadable` naming `file` when a range cannot be read whole.
    static func hash(fd: Int32, ranges: [Range<Int>], file: String) throws -> [UInt64] {
        let workers = max(1, min(ranges.count, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let results = ResultSlots(count: ranges.count)
        let next = NextIndex()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunkBytes, alignment: 64)
            defer { buffer.deallocate() }
            while let i = next.take(below: ranges.count) {
                results.set(i, hashRange(fd: fd, ranges[i], buffer))
            }
        }
        return try (0..<ranges.count).map { i in
            guard let h = results.get(i) else {
                throw CheckpointError.unreadable(file: file, path: "/",
                                                 reason: "cannot read bytes \(ranges[i].lowerBound)..<\(ranges[i].upperBound)")
            }
            return h
        }
    }

    /// Nil when a read fails or ends early.
    private static func hashRange(fd: Int32, _ range: Range<Int>, _ buffer: UnsafeMutableRawPointer) -> UInt64? {
        var state = ckpt_xxh64_state()
        ckpt_xxh64_init(&state, 0)
        var at = range.lowerBound
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
            if at == range.upperBound { return ckpt_xxh64_final(&state, buffer, n) }
            ckpt_xxh64_stripes(&state, buffer, n)
        }
    }
}

/// Per-range results written by the workers (each slot by one worker only).
private final class ResultSlots: @unchecked Sendable {
    private var slots: UnsafeMutableBufferPointer<(done: Bool, hash: UInt64)>
    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: (false, 0))
    }
    deinit { slots.deallocate() }
    func set(_ i: Int, _ h: UInt64?) { slots[i] = (h != nil, h ?? 0) }
    func get(_ i: Int) -> UInt64? { slots[i].done ? slots[i].hash : nil }
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
