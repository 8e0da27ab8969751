import CkptCore
import CkptFormat
import Foundation

/// The in-memory snapshot an async save writes from: every tensor of a checkpoint copied into
/// buffers this object keeps and reuses from one save to the next.
///
/// Why: `Run.checkpoint()` shares the live tensors' arrays copy-on-write, so without a
/// snapshot the first optimizer step after the save copies every buffer it writes into a
/// freshly allocated array (page faults on every new page, and a new allocation per save).
/// `capture` instead copies the bytes once, on the calling (training) thread, into arrays that
/// were allocated and touched by the previous save, and hands back a checkpoint that holds
/// only those copies: the training step that follows finds its buffers unshared again.
///
/// Memory: one extra copy of the state, kept between saves (the buffers are reused, not
/// freed). A buffer still referenced elsewhere (a save still writing from it) is never written
/// in place: Swift's copy-on-write gives the new snapshot a new array instead, so a capture
/// can never change bytes a write in flight is reading. `AsyncCheckpointSaver` captures only
/// after the previous save ended and released its checkpoint, so in the steady state every
/// buffer is reused.
final class CheckpointSnapshot: @unchecked Sendable {
    /// The buffers, in the order `capture` meets the tensors (walk order of the sections).
    private var buffers: [TensorData.Storage] = []
    /// Bytes copied by the last `capture` (the bench and the tests read it).
    private(set) var copiedBytes = 0
    /// Tensors of the last capture that had to get a new buffer (first save, changed shapes,
    /// or a buffer still in use).
    private(set) var allocated = 0

    /// `checkpoint` with every tensor replaced by its copy in a reused buffer; the other values
    /// (numbers, strings, the tree's shape) are the checkpoint's own. The tree is updated in
    /// place: a checkpoint handed over (not kept by the caller) is not copied node by node.
    func capture(_ checkpoint: consuming Checkpoint) -> Checkpoint {
        var c = checkpoint
        var index = 0
        copiedBytes = 0
        allocated = 0
        c.updateSections { section in
            section.updateTensors { t in
                t.storage = copy(t.storage, slot: index)
                index += 1
            }
        }
        if buffers.count > index { buffers.removeLast(buffers.count - index) }
        return c
    }

    /// `live`'s elements in the buffer of `slot` (reused when it has the same type and count).
    private func copy(_ live: TensorData.Storage, slot: Int) -> TensorData.Storage {
        if slot == buffers.count { buffers.append(.bool([])) }
        // Take the buffer out of the list, so the array below holds its only reference and
        // the copy writes in place (a reference held elsewhere makes Swift copy instead).
        var taken = TensorData.Storage.bool([])
        swap(&taken, &buffers[slot])
        func refill<T>(_ a: [T], _ old: (TensorData.Storage) -> [T]?) -> [T] {
            var b = old(taken) ?? []
            taken = .bool([])
            fill(a, into: &b)
            return b
        }
        let out: TensorData.Storage
        switch live {
        case .float32(let a): out = .float32(refill(a) { if case .float32(let o) = $0 { o } else { nil } })
        case .float64(let a): out = .float64(refill(a) { if case .float64(let o) = $0 { o } else { nil } })
        case .float16(let a): out = .float16(refill(a) { if case .float16(let o) = $0 { o } else { nil } })
        case .bfloat16(let a): out = .bfloat16(refill(a) { if case .bfloat16(let o) = $0 { o } else { nil } })
        case .int64(let a): out = .int64(refill(a) { if case .int64(let o) = $0 { o } else { nil } })
        case .int32(let a): out = .int32(refill(a) { if case .int32(let o) = $0 { o } else { nil } })
        case .int16(let a): out = .int16(refill(a) { if case .int16(let o) = $0 { o } else { nil } })
        case .int8(let a): out = .int8(refill(a) { if case .int8(let o) = $0 { o } else { nil } })
        case .uint8(let a): out = .uint8(refill(a) { if case .uint8(let o) = $0 { o } else { nil } })
        case .bool(let a): out = .bool(refill(a) { if case .bool(let o) = $0 { o } else { nil } })
        }
        buffers[slot] = out
        return out
    }

    /// Copies `live` into `buffer`, in place when the sizes match or the buffer has room (a new
    /// array otherwise), with one plain memcpy on the calling thread. A buffer that has to grow
    /// (the lr and loss histories gain rows between saves) gets twice the room it needs, up to
    /// `growthLimit` bytes, so such buffers are reallocated a logarithmic number of times.
    /// Measured on 2 shared cores: splitting a large copy over both cores was slower than one
    /// memcpy whenever another process held a core (the copy waits for its slowest part), and
    /// asking for transparent huge pages made the first save 5x slower (direct compaction on
    /// the page faults): neither is done.
    private func fill<T>(_ live: [T], into buffer: inout [T]) {
        let bytes = live.count * MemoryLayout<T>.stride
        copiedBytes += bytes
        // A buffer still referenced elsewhere is copied by Swift (copy-on-write) whichever
        // branch runs below: a storage address that changed is what says a new buffer was used.
        let before = buffer.withUnsafeBytes { $0.baseAddress }
        defer { if bytes > 0, buffer.withUnsafeBytes({ $0.baseAddress }) != before { allocated += 1 } }
        live.withUnsafeBytes { src in
            if buffer.count == live.count {
                buffer.withUnsafeMutableBytes { dst in
                    if bytes > 0 { memcpy(dst.baseAddress!, src.baseAddress!, bytes) }
                }
            } else if buffer.capacity >= live.count {
                // Keeps the allocation: the elements are trivial, so this is a memcpy too.
                buffer.removeAll(keepingCapacity: true)
                buffer.append(contentsOf: live)
            } else {
                let grows = !buffer.isEmpty && bytes <= Self.growthLimit
                var fresh = [T]()
                fresh.reserveCapacity(grows ? 2 * live.count : live.count)
                fresh.append(contentsOf: live)
                buffer = fresh
            }
        }
    }

    /// Buffers that grow get spare room only up to this size: a large tensor whose size
    /// changed should not cost twice its memory.
    static let growthLimit = 64 << 20
}
