import Foundation

/// Applies a `RetentionPolicy` to a run directory: lists it (every checkpoint verified in full),
/// decides from the files alone, and deletes the checkpoints no rule keeps.
///
/// Only checkpoints that verify are ever deleted; files that do not verify, temporaries and
/// other files are left alone (and do not count as kept). The trainer calls it only after a new
/// checkpoint is durable (renamed and its directory fsynced), so a kill at any moment leaves
/// more files than the policy wants, never fewer; the next prune removes the extra ones.
public enum CheckpointRetention {
    /// What a prune did (or, dry, would do).
    public struct Result: Sendable {
        /// The directory after the decision: every checkpoint's `keptBy` filled in.
        public var listing: CheckpointListing
        /// Checkpoints deleted (dry run: that a real prune would delete), in name order.
        public var deleted: [String]
        /// Deletions that failed, one line each naming the file.
        public var failures: [String]
        /// Files ending in `.h5` that do not verify: kept, not counted, never deleted.
        public var invalid: [CheckpointListing.Entry] { listing.entries.filter { $0.kind == .invalid } }
    }

    /// Test seam: called with each path just before it is deleted (a test can stop the prune
    /// there, as a kill would). The product never sets it.
    public struct Hooks: Sendable {
        public var beforeDelete: (@Sendable (String) throws -> Void)?
        public init(beforeDelete: (@Sendable (String) throws -> Void)? = nil) { self.beforeDelete = beforeDelete }
        public static let none = Hooks()
    }

    /// Prunes `directory` by `policy`; `dryRun` deletes nothing and reports what would go.
    /// An inactive policy keeps everything.
    public static func prune(_ directory: String, policy: RetentionPolicy, dryRun: Bool = false,
                             cache: CheckpointListing.Cache? = nil, hooks: Hooks = .none) throws -> Result {
        let extra = policy.keepBest.map { [$0.metric] } ?? []
        let listing = try CheckpointListing.scan(directory, quick: false, metrics: extra, cache: cache).applying(policy)
        var result = Result(listing: listing, deleted: [], failures: [])
        for entry in listing.deletions {
            if dryRun {
                result.deleted.append(entry.path)
                continue
            }
            try hooks.beforeDelete?(entry.path)
            if unlink(entry.path) == 0 || errno == ENOENT {
                result.deleted.append(entry.path)
                cache?.entries[entry.path] = nil
            } else {
                result.failures.append("\(entry.path): cannot delete: \(String(cString: strerror(errno)))")
            }
        }
        return result
    }
}
