import Foundation

/// Writes checkpoints on a background thread, so training goes on while the file is written.
///
/// `save(_:to:)` copies the bytes of every tensor of `checkpoint` into a snapshot whose
/// buffers are reused from one save to the next (`CheckpointSnapshot`), on the calling thread,
/// and writes the file from that snapshot on a background thread of lower priority (nice +10
/// on Linux) that also hashes the tensors itself, so the training steps overlapping the write
/// keep the other cores. The checkpoint given (from
/// `Run.checkpoint()`, which shares the live buffers copy-on-write) is not kept, so the next
/// optimizer step writes its buffers in place instead of copying each one into new memory.
/// The stall of a save is therefore one memcpy of the state into memory already mapped.
/// Memory: one extra copy of the state, kept between saves. The file is written with
/// `CheckpointFile.save`'s atomic protocol (temporary, fsync, rename, fsync of the directory),
/// so the bytes are exactly those of a synchronous save.
///
/// At most one save is in flight: `save` first waits for the previous one (a disk slower than
/// the checkpoint rate slows training down to it; no checkpoint is skipped), and if that one
/// failed, throws its error instead of starting the next. `SaveHandle.wait()` waits for one
/// save and rethrows its error. Not for use by several threads at once (one trainer owns one).
public final class AsyncCheckpointSaver: @unchecked Sendable {
    /// One background save: wait for it, or ask whether it is done without blocking.
    public final class SaveHandle: @unchecked Sendable {
        public let path: String
        private let done = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var finished = false
        private var failure: Error?
        /// Work done after the write (retention), reported back to the caller.
        private var afterResult: CheckpointRetention.Result?

        init(path: String) { self.path = path }

        func complete(error: Error?, after: CheckpointRetention.Result?) {
            lock.lock()
            failure = error
            afterResult = after
            finished = true
            lock.unlock()
            done.signal()
        }

        /// Blocks until the file is durable at `path` (or the save failed: rethrows its error).
        public func wait() throws {
            lock.lock()
            let isDone = finished
            lock.unlock()
            if !isDone {
                done.wait()
                done.signal()  // later waits return at once
            }
            if let failure = result.error { throw failure }
        }

        /// True once the save has ended, successfully or not.
        public var isFinished: Bool {
            lock.lock()
            defer { lock.unlock() }
            return finished
        }

        var result: (error: Error?, after: CheckpointRetention.Result?) {
            lock.lock()
            defer { lock.unlock() }
            return (failure, afterResult)
        }
    }

    /// Holds a snapshot until its write ends, then lets it go (before the handle completes,
    /// so the next capture finds the buffers unshared and reuses them in place).
    private final class Pending: @unchecked Sendable {
        var checkpoint: Checkpoint?
        init(_ c: Checkpoint) { checkpoint = c }
    }

    /// How much lower than the training thread's the writer thread's priority is (its nice
    /// value on Linux, where the nice value is per thread): where the cores are all busy, the
    /// training steps that overlap a write get them first, and the write takes the rest.
    static let writerNiceIncrement: Int32 = 10
    private let snapshot = CheckpointSnapshot()
    /// Bytes the last `save` copied on the caller's thread, and how many of its tensors needed
    /// a new buffer (0 once the snapshot's buffers exist): the bench and the tests read these.
    public var lastSnapshot: (bytes: Int, newBuffers: Int, seconds: Double) { (snapshot.copiedBytes, snapshot.allocated, captureSeconds) }
    private var captureSeconds = 0.0
    /// The save in flight, if any (cleared by `wait` / `takeFinished`).
    public private(set) var inFlight: SaveHandle?
    let hooks: SaveHooks

    private let writer = Writer()

    /// `hooks`: the test seam of `CheckpointFile.save`.
    public init(hooks: SaveHooks = .none) { self.hooks = hooks }

    /// Ends the writer thread once the write it may still be doing is over.
    deinit { writer.stop() }

    /// The one background thread that writes, started by the first save and kept until the
    /// saver goes: starting a thread per save cost more than copying a small state.
    private final class Writer: @unchecked Sendable {
        private let condition = NSCondition()
        private var job: (@Sendable () -> Void)?
        private var started = false, stopped = false

        /// Hands `work` to the writer thread (at most one job is ever pending: the saver
        /// waits for the previous save before it submits the next).
        func submit(_ work: @escaping @Sendable () -> Void) {
            condition.lock()
            job = work
            if !started {
                started = true
                // Its own thread, so lowering its priority touches no thread that training
                // or Dispatch's pool also runs on.
                let thread = Thread { [self] in
                    AsyncCheckpointSaver.lowerThisThreadsPriority()
                    loop()
                }
                thread.name = "ckpt.async-save"
                thread.qualityOfService = .utility
                thread.start()
            }
            condition.signal()
            condition.unlock()
        }

        func stop() {
            condition.lock()
            stopped = true
            condition.signal()
            condition.unlock()
        }

        private func loop() {
            while true {
                condition.lock()
                while job == nil && !stopped { condition.wait() }
                let work = job
                job = nil
                condition.unlock()
                guard let work else { return }  // stopped, nothing left to write
                work()
            }
        }
    }

    /// Starts writing `checkpoint` to `path` after the save in flight has ended (rethrowing
    /// that one's error). `after` runs on the background thread once the file is durable
    /// (the trainer's retention); its result or error is the handle's.
    @discardableResult
    public func save(_ checkpoint: consuming Checkpoint, to path: String, durable: Bool = true,
                     after: (@Sendable () throws -> CheckpointRetention.Result?)? = nil) throws -> SaveHandle {
        if let previous = inFlight {
            inFlight = nil
            try previous.wait()
        }
        let handle = SaveHandle(path: path)
        let hooks = self.hooks
        let t0 = DispatchTime.now().uptimeNanoseconds
        let pending = Pending(snapshot.capture(checkpoint))
        captureSeconds = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
        writer.submit {
            do {
                try CheckpointFile.save(pending.checkpoint!, to: path, durable: durable, hooks: hooks, singleThread: true)
                pending.checkpoint = nil
                handle.complete(error: nil, after: try after?())
            } catch {
                pending.checkpoint = nil
                handle.complete(error: error, after: nil)
            }
        }
        inFlight = handle
        return handle
    }

    /// Lowers the calling thread's priority by `writerNiceIncrement` (Linux: the nice value of
    /// this thread only; elsewhere the thread's quality of service says it).
    fileprivate static func lowerThisThreadsPriority() {
        #if os(Linux)
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        errno = 0
        let current = getpriority(which, 0)
        if errno == 0 { _ = setpriority(which, 0, min(19, current + writerNiceIncrement)) }
        #endif
    }

    /// Waits for the save in flight, if any, and returns it (its error rethrown).
    @discardableResult
    public func wait() throws -> SaveHandle? {
        guard let h = inFlight else { return nil }
        inFlight = nil
        try h.wait()
        return h
    }

    /// The save in flight when it has ended (then no save is in flight), without blocking.
    public func takeFinished() -> SaveHandle? {
        guard let h = inFlight, h.isFinished else { return nil }
        inFlight = nil
        return h
    }
}
