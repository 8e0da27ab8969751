#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CkptCore
import Dispatch
import HDF5

/// A tensor `StateReader` left in the file: where it is and what the tree's stand-in says.
struct DeferredTensor {
    /// Path without the leading "/" ("model/fc1.weight").
    var path: String
    /// The parent group (kept open) and the dataset's name in it.
    var group: HDF5Group
    var name: String
    var shape: [Int]
    var dtype: DType
    /// The stored `"xxh64:<hex>"` (lowercased), nil when checksums are not verified.
    var checksum: String?

    var byteCount: Int { shape.reduce(1, *) * dtype.size }
}

/// Reads deferred tensors of a ckpt HDF5 file (`CheckpointFile.outline`) one at a time.
///
/// Hashing overlaps reading: a tensor's XXH64 runs on a second core while the next one is
/// read, so at most one check is in flight; its mismatch is thrown (or recorded, with
/// `collectMismatches`) at the next call or at `finish`. `check` reads into two scratch
/// buffers it reuses (no page faults after the first tensors, no copy into arrays).
final class HDF5TensorSource: TensorSource {
    private let file: HDF5File
    private let fileName: String
    private let entries: [String: DeferredTensor]
    private let collectMismatches: Bool
    private(set) var damaged: [CheckpointError] = []
    private var inFlight: (entry: DeferredTensor, box: HashBox)?
    private let hashing = DispatchGroup()
    private var scratch = [ScratchBuffer(), ScratchBuffer()]
    private var nextScratch = 0

    init(file: HDF5File, reportingAs fileName: String, entries: [DeferredTensor], collectMismatches: Bool) {
        self.file = file
        self.fileName = fileName
        self.entries = Dictionary(entries.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        self.collectMismatches = collectMismatches
    }

    deinit {
        hashing.wait()
        try? file.close()
    }

    private func entry(_ path: String) throws -> DeferredTensor {
        guard let e = entries[path] else { throw CheckpointError.missing(file: fileName, path: "/" + path) }
        return e
    }

    func tensor(at path: String) throws -> TensorData {
        let e = try entry(path)
        let t: TensorData
        do { t = try readTensorData(try e.group.openDataset(e.name), shape: e.shape, dtype: e.dtype) } catch let err as HDF5Error {
            throw CheckpointError(err)
        }
        try settle()
        if e.checksum != nil { start(e, large: t.byteCount >= StateWriter.parallelHashBytes) { t.withUnsafeBytes { Checksum.xxh64($0) } } }
        return t
    }

    func withBytes<R>(at path: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let e = try entry(path)
        // Two buffers in turn: the hash of the previous tensor may still read the other one.
        let buffer = scratch[nextScratch]
        nextScratch ^= 1
        let bytes = buffer.bytes(e.byteCount)
        try read(e, into: bytes)
        try settle()
        if e.checksum != nil {
            let view = UnsafeRawBufferPointer(bytes)
            start(e, large: bytes.count >= StateWriter.parallelHashBytes) { Checksum.xxh64(view) }
        }
        return try body(UnsafeRawBufferPointer(bytes))
    }

    /// Reads `e`'s bytes whole: a plain pread where the layout allows (`rawByteRange`), else
    /// through libhdf5; bools as 0 or 1.
    private func read(_ e: DeferredTensor, into bytes: UnsafeMutableRawBufferPointer) throws {
        do {
            let ds = try e.group.openDataset(e.name)
            let n = try checkedByteCount(ds, shape: e.shape, dtype: e.dtype)
            if let fd = file.descriptor(), let r = try ds.rawByteRange(as: e.dtype.hdf5Type, byteCount: n) {
                var got = 0
                while got < n {
                    let k = pread(fd, bytes.baseAddress! + got, n - got, off_t(r.lowerBound + got))
                    if k < 0 && errno == EINTR { continue }
                    guard k > 0 else {
                        throw CheckpointError.unreadable(file: fileName, path: "/" + e.path,
                                                         reason: "cannot read bytes \(r.lowerBound + got)..<\(r.upperBound)")
                    }
                    got += k
                }
            } else {
                try ds.read(into: bytes, as: e.dtype.hdf5Type)
            }
        } catch let err as HDF5Error {
            throw CheckpointError(err)
        }
        if e.dtype == .bool { for i in bytes.indices where bytes[i] > 1 { bytes[i] = 1 } }
    }

    func check(_ paths: [String]) throws { try check(paths, countingNonFinite: nil) }

    func check(_ paths: [String], countingNonFinite report: (String, NonFiniteCount) -> Void) throws {
        try withoutActuallyEscaping(report) { try check(paths, countingNonFinite: .some($0)) }
    }

    /// `check`; with `report`, every floating-point tensor's NaN and infinite elements are
    /// counted in the bytes the check reads, and tensors without a checksum are read too.
    private func check(_ paths: [String], countingNonFinite report: ((String, NonFiniteCount) -> Void)?) throws {
        try settle()
        // Tensors a plain pread can hash (ckpt's own files: contiguous, no conversion) are
        // hashed in chunks on every core at once, no copy kept; the rest through libhdf5 here.
        var raw: [(entry: DeferredTensor, range: Range<Int>)] = []
        var viaLibrary: [DeferredTensor] = []
        let fd = file.descriptor()
        for path in paths {
            let e = try entry(path)
            guard e.checksum != nil || (report != nil && e.dtype.isFloatingPoint) else { continue }
            do {
                let ds = try e.group.openDataset(e.name)
                let n = try checkedByteCount(ds, shape: e.shape, dtype: e.dtype)
                if fd != nil, let r = try ds.rawByteRange(as: e.dtype.hdf5Type, byteCount: n) {
                    raw.append((e, r))
                } else {
                    viaLibrary.append(e)
                }
            } catch let err as HDF5Error {
                throw CheckpointError(err)
            }
        }
        if let fd, !raw.isEmpty {
            let r = try ChunkedHash.hash(fd: fd, ranges: raw.map(\.range), scanning: report.map { _ in raw.map(\.entry.dtype) },
                                         file: fileName)
            for (i, job) in raw.enumerated() {
                try record(job.entry, r.hashes[i])
                report?(job.entry.path, r.nonFinite[i])
            }
        }
        for e in viaLibrary {
            let buffer = scratch[nextScratch]
            nextScratch ^= 1
            let bytes = buffer.bytes(e.byteCount)
            try read(e, into: bytes)
            try settle()
            let view = UnsafeRawBufferPointer(bytes)
            report?(e.path, NonFiniteCount(bytes: view, dtype: e.dtype))
            if e.checksum != nil { start(e, large: bytes.count >= StateWriter.parallelHashBytes) { Checksum.xxh64(view) } }
        }
    }

    func finish() throws { try settle() }

    /// Hashes on a second core (`large`) or here.
    private func start(_ e: DeferredTensor, large: Bool, _ hash: @escaping () -> UInt64) {
        let box = HashBox()
        inFlight = (e, box)
        if large {
            nonisolated(unsafe) let hash = hash
            DispatchQueue.global().async(group: hashing) { box.value = hash() }
        } else {
            box.value = hash()
        }
    }

    /// Waits for the check in flight and reports a mismatch.
    private func settle() throws {
        guard let (e, box) = inFlight else { return }
        hashing.wait()
        inFlight = nil
        try record(e, box.value)
    }

    /// Throws or records a mismatch of `e`'s stored checksum with `hash`.
    private func record(_ e: DeferredTensor, _ hash: UInt64) throws {
        let actual = Checksum.format(hash)
        guard let expected = e.checksum, actual != expected else { return }
        let error = CheckpointError.checksumMismatch(file: fileName, path: "/" + e.path, expected: expected, actual: actual)
        guard collectMismatches else { throw error }
        damaged.append(error)
    }
}

/// A reusable, 64-byte-aligned buffer that only grows.
final class ScratchBuffer {
    private var base: UnsafeMutableRawPointer?
    private var capacity = 0

    /// The first `n` bytes, growing the buffer (contents not kept) when needed.
    func bytes(_ n: Int) -> UnsafeMutableRawBufferPointer {
        if n > capacity {
            base?.deallocate()
            base = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 64)
            capacity = n
            adviseHugePages(UnsafeMutableRawBufferPointer(start: base, count: n))
        }
        return UnsafeMutableRawBufferPointer(start: base, count: n)
    }

    deinit { base?.deallocate() }
}
