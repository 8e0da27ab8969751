#if CKPT_MPI
import CMPI
import CkptCore
import CkptFormat
import Foundation

/// A failed MPI call: which function and its error code and message.
public struct MPIError: Error, CustomStringConvertible {
    public let function: String
    public let code: Int32
    public var description: String {
        var buf = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING))
        var len: Int32 = 0
        MPI_Error_string(code, &buf, &len)
        return "\(function) failed (\(code)): \(String(cString: buf))"
    }
}

/// MPI_COMM_WORLD of this process: its rank and size and the few collectives the distributed
/// code uses. MPI is initialised once, on first use, with MPI_THREAD_FUNNELED (only the thread
/// that initialised MPI calls it; ckpt's compute workers never do), and finalised at exit.
/// A binary of the MPI flavour started without `mpirun` is a singleton world of size 1.
public final class MPIWorld: RankGroup, CollectiveCheckpointFile.Ranks, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    public var isRoot: Bool { rank == 0 }

    /// The process's world, initialising MPI on first use.
    public static func shared() throws -> MPIWorld {
        lock.lock(); defer { lock.unlock() }
        if let w = world { return w }
        var provided: Int32 = 0
        try check("MPI_Init_thread", MPI_Init_thread(nil, nil, ckpt_MPI_THREAD_FUNNELED(), &provided))
        var r: Int32 = 0, s: Int32 = 0
        try check("MPI_Comm_rank", MPI_Comm_rank(ckpt_MPI_COMM_WORLD(), &r))
        try check("MPI_Comm_size", MPI_Comm_size(ckpt_MPI_COMM_WORLD(), &s))
        let w = MPIWorld(rank: Int(r), size: Int(s))
        world = w
        atexit { MPIWorld.finalize() }
        return w
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var world: MPIWorld?

    private init(rank: Int, size: Int) { self.rank = rank; self.size = size }

    static func check(_ function: String, _ code: Int32) throws {
        if code != MPI_SUCCESS { throw MPIError(function: function, code: code) }
    }

    /// MPI_Finalize once, if MPI was initialised and not yet finalised.
    public static func finalize() {
        var initialised: Int32 = 0, finalised: Int32 = 0
        MPI_Initialized(&initialised)
        MPI_Finalized(&finalised)
        if initialised != 0 && finalised == 0 { MPI_Finalize() }
    }

    /// The MPI library's version string (e.g. "Open MPI v4.1.4, ...").
    public static var libraryVersion: String {
        var buf = [CChar](repeating: 0, count: Int(MPI_MAX_LIBRARY_VERSION_STRING))
        var len: Int32 = 0
        MPI_Get_library_version(&buf, &len)
        return String(cString: buf).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Ends every rank of the job with `status` (MPI_Abort): what a rank does on an error, so
    /// the others do not wait forever in their next collective call.
    public static func abort(_ status: Int32) -> Never {
        MPI_Abort(ckpt_MPI_COMM_WORLD(), status)
        exit(status)
    }

    public func barrier() throws {
        try Self.check("MPI_Barrier", MPI_Barrier(ckpt_MPI_COMM_WORLD()))
    }

    /// Every rank's `local` concatenated in rank order (MPI_Allgatherv). The result's order is
    /// fixed by rank, never by arrival, so a later fixed-order sum over it is deterministic.
    public func allgatherv(_ local: [Float]) throws -> [Float] {
        try local.withUnsafeBufferPointer { try allgather($0) }
    }

    public func allgather(_ local: UnsafeBufferPointer<Float>) throws -> [Float] {
        try gathered(local, type: ckpt_MPI_FLOAT())
    }

    /// Every rank's bytes, in rank order, as one array per rank.
    public func allgatherBytes(_ local: [UInt8]) throws -> [[UInt8]] {
        let (all, counts) = try local.withUnsafeBufferPointer { try gatheredWithCounts($0, type: ckpt_MPI_BYTE()) }
        var out: [[UInt8]] = [], at = 0
        for c in counts { out.append(Array(all[at..<(at + c)])); at += c }
        return out
    }

    /// Every rank's bytes, in rank order, on `root` only; [] on the other ranks. Of any size:
    /// each rank sends its bytes to `root` in messages of at most `messageBytes` (an MPI count
    /// is a C int), received straight into that rank's part, one rank after the other (MPI
    /// keeps the messages of one sender in order). `root` needs memory for the parts alone.
    public func gatherBytes(_ local: [UInt8], root: Int, messageBytes: Int) throws -> [[UInt8]] {
        let messageBytes = min(max(1, messageBytes), Int(Int32.max))
        var mine = Int64(local.count)
        var counts = [Int64](repeating: 0, count: size)
        try Self.check("MPI_Gather", MPI_Gather(&mine, 1, ckpt_MPI_INT64(), &counts, 1, ckpt_MPI_INT64(),
                                                Int32(root), ckpt_MPI_COMM_WORLD()))
        /// `body(offset, count)` for each message of `total` bytes.
        func messages(_ total: Int, _ body: (Int, Int32) throws -> Void) rethrows {
            var at = 0
            while at < total {
                let n = min(messageBytes, total - at)
                try body(at, Int32(n))
                at += n
            }
        }
        guard rank == root else {
            try local.withUnsafeBufferPointer { src in
                try messages(src.count) { at, n in
                    try Self.check("MPI_Send", MPI_Send(src.baseAddress! + at, n, ckpt_MPI_BYTE(), Int32(root),
                                                        Self.gatherTag, ckpt_MPI_COMM_WORLD()))
                }
            }
            return []
        }
        return try counts.enumerated().map { sender, count in
            if sender == root { return local }
            return try [UInt8](unsafeUninitializedCapacity: Int(count)) { dst, initialized in
                try messages(Int(count)) { at, n in
                    try Self.check("MPI_Recv", MPI_Recv(dst.baseAddress! + at, n, ckpt_MPI_BYTE(), Int32(sender),
                                                        Self.gatherTag, ckpt_MPI_COMM_WORLD(), ckpt_MPI_STATUS_IGNORE()))
                    initialized = at + Int(n)
                }
            }
        }
    }

    /// `gatherBytes(_:root:messageBytes:)` in messages as large as MPI allows (`RankGroup`'s).
    public func gatherBytes(_ local: [UInt8], root: Int) throws -> [[UInt8]] {
        try gatherBytes(local, root: root, messageBytes: Int(Int32.max))
    }

    /// The tag of `gatherBytes`'s messages (no other point-to-point messages are sent).
    private static let gatherTag: Int32 = 7

    /// Where each rank's part starts in the concatenation of parts of `counts`, and the total;
    /// an error when the total exceeds an MPI count (a C int).
    private static func displacements(_ counts: [Int32], _ function: String, what: String) throws -> ([Int32], Int) {
        var displs = [Int32](repeating: 0, count: counts.count)
        var total = 0
        for (i, c) in counts.enumerated() {
            guard total + Int(c) <= Int(Int32.max) else {
                throw MPIError(function: "\(function) (more than \(Int32.max) \(what) in all)", code: MPI_ERR_COUNT)
            }
            displs[i] = Int32(total)
            total += Int(c)
        }
        return (displs, total)
    }

    private func gathered<T: Numeric>(_ local: UnsafeBufferPointer<T>, type: MPI_Datatype) throws -> [T] {
        try gatheredWithCounts(local, type: type).values
    }

    /// MPI_Allgatherv of `local` (element counts first, so ranks may send different counts; at
    /// most Int32.max elements in all, as MPI's counts are C ints).
    private func gatheredWithCounts<T: Numeric>(_ local: UnsafeBufferPointer<T>, type: MPI_Datatype) throws -> (values: [T], counts: [Int]) {
        guard local.count <= Int(Int32.max) else {
            throw MPIError(function: "MPI_Allgatherv (\(local.count) elements exceed an MPI count)", code: MPI_ERR_COUNT)
        }
        var mine = Int32(local.count)
        var counts = [Int32](repeating: 0, count: size)
        try Self.check("MPI_Allgather", MPI_Allgather(&mine, 1, ckpt_MPI_INT32(), &counts, 1, ckpt_MPI_INT32(),
                                                      ckpt_MPI_COMM_WORLD()))
        let (displs, total) = try Self.displacements(counts, "MPI_Allgatherv", what: "elements")
        var out = [T](repeating: 0, count: total)
        try out.withUnsafeMutableBufferPointer { dst in
            try Self.check("MPI_Allgatherv", MPI_Allgatherv(
                local.baseAddress, mine, type, dst.baseAddress, counts, displs, type, ckpt_MPI_COMM_WORLD()))
        }
        return (out, counts.map(Int.init))
    }

    /// `bytes` of rank `root` on every rank (length first, then the bytes).
    public func broadcast(_ bytes: [UInt8], root: Int = 0) throws -> [UInt8] {
        var n = Int64(bytes.count)
        try Self.check("MPI_Bcast", MPI_Bcast(&n, 1, ckpt_MPI_INT64(), Int32(root), ckpt_MPI_COMM_WORLD()))
        var buf = rank == root ? bytes : [UInt8](repeating: 0, count: Int(n))
        try Self.check("MPI_Bcast", MPI_Bcast(&buf, Int32(n), ckpt_MPI_BYTE(), Int32(root), ckpt_MPI_COMM_WORLD()))
        return buf
    }

    /// `values` of rank `root` into `values` of every rank (MPI_Bcast, in pieces of at most
    /// Int32.max elements).
    public func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int) throws {
        var at = 0
        while at < values.count {
            let n = min(values.count - at, Int(Int32.max))
            try Self.check("MPI_Bcast", MPI_Bcast(values.baseAddress! + at, Int32(n), ckpt_MPI_FLOAT(), Int32(root),
                                                  ckpt_MPI_COMM_WORLD()))
            at += n
        }
    }

    /// `text` of rank 0 on every rank.
    public func broadcast(_ text: String) throws -> String {
        String(decoding: try broadcast(Array(text.utf8), root: 0), as: UTF8.self)
    }

    /// The maximum of `value` over all ranks.
    public func allreduceMax(_ value: Int64) throws -> Int64 {
        var v = value, out: Int64 = 0
        try Self.check("MPI_Allreduce", MPI_Allreduce(&v, &out, 1, ckpt_MPI_INT64(), ckpt_MPI_MAX(), ckpt_MPI_COMM_WORLD()))
        return out
    }
}
#endif
