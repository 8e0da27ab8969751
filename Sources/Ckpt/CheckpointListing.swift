import Foundation

/// What a run directory holds, file by file (`ckpt ls DIR`, and what `RetentionPolicy` decides
/// from): checkpoints with their recorded progress and metrics and whether they verify,
/// leftover temporaries of unfinished saves, and everything else.
///
/// A checkpoint is a `*.h5` file that loads as a ckpt checkpoint with a `/progress` section.
/// Verification is the loader's: the manifest (every non-tensor byte) and, unless `quick`,
/// every tensor's checksum, streamed one tensor at a time. A `*.h5` file that is not a
/// checkpoint (a dataset) is listed as `other`; one that fails verification as `invalid`,
/// with the loader's message.
public struct CheckpointListing: Sendable {
    public enum Kind: String, Sendable, Equatable {
        /// Verifies and records its progress.
        case checkpoint
        /// A `*.h5` that does not verify (damaged, truncated, unreadable).
        case invalid
        /// `.<name>.partial-…`: a save in progress, or left by one that was killed.
        case temporary
        /// Anything else: `lr.svg`, the run's lock file, a dataset, a directory.
        case other
    }

    public struct Entry: Sendable, Equatable {
        public var name: String
        public var path: String
        public var kind: Kind
        /// Bytes on disk (nil for a directory).
        public var size: Int64?
        /// The root attribute `created_at` (ISO 8601 UTC), when the file records one.
        public var createdAt: String?
        public var epoch: Int?
        public var globalStep: Int?
        /// Batches into the next epoch (0 at an epoch boundary).
        public var batch: Int?
        public var metrics: [String: Double] = [:]
        public var nonFinite = false
        /// Why an `invalid` file is invalid, or what an `other` file is.
        public var note: String?
        /// The retention policy of the run config it records (`checkpoint.keep_last`,
        /// `keep_best`), nil without a config.
        public var recordedPolicy: RetentionPolicy?
        /// The retention rules that keep it (`RetentionPolicy.reasons`); nil when no policy
        /// was applied or the entry is not a checkpoint; empty: the policy deletes it.
        public var keptBy: [String]?

        /// The policy's view of a checkpoint entry.
        var candidate: RetentionPolicy.Candidate? {
            guard kind == .checkpoint, let globalStep, let epoch else { return nil }
            return .init(path: path, globalStep: globalStep, epoch: epoch, nonFinite: nonFinite, metrics: metrics)
        }
    }

    public var directory: String
    /// Every entry of the directory except `.` and `..`, in name order.
    public var entries: [Entry]

    /// Remembers verified files by identity (device, inode, size, modification time), so a
    /// trainer that prunes after every save verifies each file once. Use from one thread at a time.
    public final class Cache: @unchecked Sendable {
        var entries: [String: (identity: [Int64], metrics: [String], entry: Entry)] = [:]
        public init() {}
    }

    /// Lists `directory`. `quick`: checks the manifest and the small tensors only, not every
    /// tensor's checksum. `metrics`: metric names to read besides `CheckpointMetrics.names`.
    /// A missing directory is an error naming it.
    public static func scan(_ directory: String, quick: Bool = false, metrics: [String] = [],
                            cache: Cache? = nil) throws -> CheckpointListing {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw RunError.file(directory, "no such directory")
        }
        let names: [String]
        do { names = try fm.contentsOfDirectory(atPath: directory).sorted() } catch {
            throw RunError.file(directory, "cannot list it: \(error.localizedDescription)")
        }
        var entries: [Entry] = []
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            entries.append(entry(name: name, path: path, quick: quick, metrics: metrics, cache: cache))
        }
        return CheckpointListing(directory: directory, entries: entries)
    }

    static func entry(name: String, path: String, quick: Bool, metrics: [String], cache: Cache?) -> Entry {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let type = attributes?[.type] as? FileAttributeType
        let size = type == .typeDirectory ? nil : (attributes?[.size] as? NSNumber)?.int64Value
        var e = Entry(name: name, path: path, kind: .other, size: size)
        if CheckpointFile.isTemporary(name) {
            e.kind = .temporary
            return e
        }
        guard name.hasSuffix(".h5"), type == .typeRegular else {
            if name == RunDirectoryLock.fileName { e.note = "lock of the run writing here" }
            if name == RunDirectoryClaim.fileName { e.note = "the id of the run these checkpoints belong to" }
            return e
        }
        // Identity of the file as verified: a rewrite under the same name changes it.
        let identity: [Int64] = [
            (attributes?[.systemNumber] as? NSNumber)?.int64Value ?? -1,
            (attributes?[.systemFileNumber] as? NSNumber)?.int64Value ?? -1,
            size ?? -1,
            Int64(((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0) * 1e9),
            quick ? 1 : 0,
        ]
        if let hit = cache?.entries[path], hit.identity == identity, hit.metrics == metrics { return hit.entry }
        do {
            let outline = try CheckpointFile.outline(path)
            if !quick { try outline.checkRemaining() }
            let c = outline.checkpoint
            e.createdAt = c.metadata["created_at"]?.stringValue
            if let p = c.progress {
                let progress = try RunProgress(stateDict: p)
                e.kind = .checkpoint
                e.epoch = progress.epoch
                e.globalStep = progress.globalStep
                e.batch = progress.batch
                e.metrics = CheckpointMetrics.read(c.metadata, extra: metrics)
                e.nonFinite = c.metadata[Run.nonFiniteKey] != nil
                e.recordedPolicy = c.config.flatMap { try? RunConfig(json: $0) }?.checkpoint.retention
            } else {
                e.note = "a checkpoint without /progress (not a training run's)"
            }
        } catch CheckpointError.notACheckpoint(_, let reason) {
            e.note = "not a checkpoint: \(reason)"
        } catch {
            e.kind = .invalid
            e.note = String(describing: error)
        }
        cache?.entries[path] = (identity, metrics, e)
        return e
    }

    /// The checkpoints (entries of kind `checkpoint`).
    public var checkpoints: [Entry] { entries.filter { $0.kind == .checkpoint } }

    /// The retention policy recorded in the newest checkpoint's config (nil: none recorded).
    public var recordedPolicy: RetentionPolicy? {
        checkpoints.max { ($0.globalStep ?? 0, $0.epoch ?? 0, $0.name) < ($1.globalStep ?? 0, $1.epoch ?? 0, $1.name) }?.recordedPolicy
    }

    /// This listing with `keptBy` filled in by `policy` for every checkpoint.
    public func applying(_ policy: RetentionPolicy) -> CheckpointListing {
        var out = self
        let indices = entries.indices.filter { entries[$0].candidate != nil }
        let reasons = policy.reasons(for: indices.map { entries[$0].candidate! })
        for (i, r) in zip(indices, reasons) { out.entries[i].keptBy = r }
        return out
    }

    /// The checkpoints `applying(policy)` deletes, in name order.
    public var deletions: [Entry] { entries.filter { $0.kind == .checkpoint && $0.keptBy?.isEmpty == true } }
}
