import Foundation

/// Writes checkpoints on a background thread, so training goes on while the file is written.
///
/// `save(_:to:)` takes a `Checkpoint` that is already a snapshot: `Run.checkpoint()` shares the
/// live tensors' buffers copy-on-write, so the only copy is the one the next optimizer step
/// makes of each buffer it writes while the save still holds it (one extra copy of the state
/// per save in flight, at most, and none when the write ends first). The file is written with
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

    private let queue = DispatchQueue(label: "ckpt.async-save", qos: .utility)
    /// The save in flight, if any (cleared by `wait` / `takeFinished`).
    public private(set) var inFlight: SaveHandle?
    let hooks: SaveHooks

    /// `hooks`: the test seam of `CheckpointFile.save`.
    public init(hooks: SaveHooks = .none) { self.hooks = hooks }

    /// Starts writing `checkpoint` to `path` after the save in flight has ended (rethrowing
    /// that one's error). `after` runs on the background thread once the file is durable
    /// (the trainer's retention); its result or error is the handle's.
    @discardableResult
    public func save(_ checkpoint: Checkpoint, to path: String, durable: Bool = true,
                     after: (@Sendable () throws -> CheckpointRetention.Result?)? = nil) throws -> SaveHandle {
        if let previous = inFlight {
            inFlight = nil
            try previous.wait()
        }
        let handle = SaveHandle(path: path)
        let hooks = self.hooks
        queue.async {
            do {
                try CheckpointFile.save(checkpoint, to: path, durable: durable, hooks: hooks)
                handle.complete(error: nil, after: try after?())
            } catch {
                handle.complete(error: error, after: nil)
            }
        }
        inFlight = handle
        return handle
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
