import CHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed HDF5 operation: which file, which object inside it, what was attempted, and
/// HDF5's own innermost reason (e.g. "file signature not found", "truncated file").
///
/// Every negative return from the C library becomes one of these; nothing in this module
/// traps on bad input.
public struct HDF5Error: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file path as given to `HDF5File.open` / `create`.
    public var file: String
    /// The object path inside the file ("/model/conv1.weight"), "/" for the file itself.
    public var path: String
    /// What was attempted ("open file", "read dataset", "create attribute 'lr'").
    public var operation: String
    /// HDF5's innermost error description, or our own reason when the library gave none.
    public var reason: String

    public init(file: String, path: String, operation: String, reason: String) {
        self.file = file
        self.path = path
        self.operation = operation
        self.reason = reason
    }

    public var description: String {
        let r = reason.isEmpty ? "" : ": \(reason)"
        return "\(file): \(path): cannot \(operation)\(r)"
    }
}

/// Reads HDF5's error stack once per failure; HDF5's own printing is silenced (`HDF5Library`).
func lastHDF5Reason() -> String {
    var buf = [CChar](repeating: 0, count: 512)
    ckpt_last_error(&buf, buf.count)
    return condensedReason(String(cString: buf))
}

/// HDF5's I/O failures read "file write failed: time = ..., filename = '...', file descriptor
/// = 3, errno = 28, error message = 'No space left on device', buf = 0x..., ...": keep what
/// failed and the system's message ("file write failed: No space left on device").
func condensedReason(_ text: String) -> String {
    guard let start = text.firstRange(of: "error message = '") else { return text }
    let rest = text[start.upperBound...]
    guard let end = rest.firstIndex(of: "'") else { return text }
    let what = text.firstIndex(of: ":").map { String(text[..<$0]) } ?? "I/O failed"
    return "\(what): \(rest[..<end])"
}

/// Library-wide set-up, run once before the first HDF5 call.
///
/// Threading: Debian's libhdf5 is built thread-safe (one global lock inside the library),
/// but objects of this module are not `Sendable`: use each `HDF5File` and the objects opened
/// from it on one thread at a time. Hashing or converting the bytes you read may run on
/// other threads; the HDF5 calls themselves should stay on one.
extension HDF5Error {
    /// Empties the calling thread's libhdf5 error stack. A thread that outlives its last HDF5
    /// call (a background writer waiting for the next save) must: records left on its stack
    /// hold references that stop libhdf5 from closing at exit ("infinite loop closing library").
    public static func clearThreadStack() {
        HDF5Library.ensure()
        _ = ckpt_clear_errors()
    }
}

enum HDF5Library {
    static let initialized: Bool = {
        _ = H5open()
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        silencedKey = key
        return true
    }()
    nonisolated(unsafe) private static var silencedKey = pthread_key_t()

    /// `H5Eset_auto2(NULL)` once per thread (Debian's thread-safe HDF5 keeps error-stack
    /// settings per thread): errors come back as `HDF5Error` values, never printed to stderr.
    static func ensure() {
        _ = initialized
        if pthread_getspecific(silencedKey) == nil {
            _ = ckpt_silence_errors()
            pthread_setspecific(silencedKey, UnsafeRawPointer(bitPattern: 1))
        }
    }
}
