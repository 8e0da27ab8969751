import HDF5

/// Why a checkpoint could not be saved or loaded. Every case names the file; cases about
/// one object name its path inside the file ("/optimizer/state/3/exp_avg").
///
/// The CLI maps cases to messages and exit codes; `description` is a complete message.
public enum CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Not an HDF5 file, truncated, unreadable, or a low-level HDF5 failure at `path`.
    case unreadable(file: String, path: String, reason: String)
    /// An HDF5 file, but not a ckpt checkpoint (root attribute `format` missing or different).
    case notACheckpoint(file: String, reason: String)
    /// `format_version` is not one this reader supports.
    case unsupportedVersion(file: String, found: String, supported: Int64)
    /// A required group, dataset or attribute is absent.
    case missing(file: String, path: String)
    /// Present but wrong: type, shape, size, nesting, or disagreement between related objects.
    case malformed(file: String, path: String, reason: String)
    /// A tensor's bytes do not hash to its `checksum` attribute (corruption); at path "/", the
    /// file's metadata (every byte but tensor data) does not hash to its manifest.
    case checksumMismatch(file: String, path: String, expected: String, actual: String)
    /// A tensor dataset without a `checksum` attribute (while verifying).
    case missingChecksum(file: String, path: String)
    /// Saving: a key or value the format cannot hold (e.g. a key containing "/").
    case unsupportedValue(file: String, path: String, reason: String)
    /// Saving: a file-system step failed (create, fsync, rename).
    case io(file: String, operation: String, reason: String)

    public var file: String {
        switch self {
        case .unreadable(let f, _, _), .notACheckpoint(let f, _), .unsupportedVersion(let f, _, _),
             .missing(let f, _), .malformed(let f, _, _), .checksumMismatch(let f, _, _, _),
             .missingChecksum(let f, _), .unsupportedValue(let f, _, _), .io(let f, _, _):
            return f
        }
    }

    /// The object path inside the file, when the error is about one object.
    public var path: String? {
        switch self {
        case .unreadable(_, let p, _), .missing(_, let p), .malformed(_, let p, _),
             .checksumMismatch(_, let p, _, _), .missingChecksum(_, let p), .unsupportedValue(_, let p, _):
            return p
        default:
            return nil
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let f, let p, let r): "\(f): \(p): unreadable: \(r)"
        case .notACheckpoint(let f, let r): "\(f): not a ckpt checkpoint: \(r)"
        case .unsupportedVersion(let f, let found, let s):
            "\(f): format_version \(found) is not supported (this reader supports \(s))"
        case .missing(let f, let p): "\(f): \(p): missing"
        case .malformed(let f, let p, let r): "\(f): \(p): \(r)"
        case .checksumMismatch(let f, "/", let e, let a):
            "\(f): /: metadata checksum mismatch (stored \(e), computed \(a)): the file's structure (everything but tensor data) is not what ckpt wrote; it is damaged, or another program changed it (h5py in \"r+\" mode, h5repack): \(ManifestMismatch.remedy(f))"
        case .checksumMismatch(let f, let p, let e, let a):
            "\(f): \(p): checksum mismatch (stored \(e), computed \(a)): the tensor's bytes are corrupt"
        case .missingChecksum(let f, let p): "\(f): \(p): tensor has no checksum attribute"
        case .unsupportedValue(let f, let p, let r): "\(f): \(p): cannot save: \(r)"
        case .io(let f, let op, let r): "\(f): \(op) failed: \(r)"
        }
    }

    init(_ e: HDF5Error) {
        self = .unreadable(file: e.file, path: e.path, reason: "cannot \(e.operation): \(e.reason)")
    }
}
