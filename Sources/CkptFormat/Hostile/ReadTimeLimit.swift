#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How long ckpt may spend reading files it cannot trust, and how a user allows more.
///
/// A file this user's ckpt did not sign (h5py's, another tool's, another user's) is read first
/// by an isolated child (`ForeignFile`), and the CLI's `inspect`, `verify` and `diff` run in
/// a limited child as well (`ParseIsolation`): a crafted file can make libhdf5 loop, so each
/// stops after a number of CPU seconds that grows with the file's size, and a wall-clock
/// multiple of that. A sound file that is merely large (an h5py file of a million small
/// tensors) can reach the limit too; the environment variable `CKPT_READ_SECONDS` raises
/// every such CPU limit to at least that many seconds (wall clocks scale with it). It is read
/// once per process and inherited by the children, so it applies to `train --init-from`,
/// `resume`, `convert` and the library's loads alike. Values other than a whole number of
/// seconds from 1 to 1,000,000 are ignored, and the message of the next stop says so.
public enum ReadTimeLimit {
    public static let variable = "CKPT_READ_SECONDS"
    static let range = 1...1_000_000

    /// The seconds `CKPT_READ_SECONDS` asks for, or nil when unset or invalid.
    public static var requested: Int? { parse(rawValue) }

    /// `max(defaultSeconds, requested)`: a limit the user raised, never lowered.
    public static func cpuSeconds(default defaultSeconds: Int) -> Int {
        max(defaultSeconds, requested ?? 0)
    }

    /// What to tell a user whose read stopped at `limit` seconds: how to allow more, with a
    /// value four times the limit, and whether a value already set was ignored.
    /// "allow more time with CKPT_READ_SECONDS=80 (in the environment of ckpt)".
    public static func howToRaise(limit: Int) -> String {
        let suggestion = min(range.upperBound, max(limit, 1) * 4)
        var text = "if the file is sound and just large, allow more time with \(variable)=\(suggestion) in ckpt's environment"
        if let raw = rawValue, parse(raw) == nil {
            text += " (\(variable)=\(raw) was ignored: not a whole number of seconds from 1 to 1000000)"
        }
        return text
    }

    static var rawValue: String? { getenv(variable).map { String(cString: $0) } }

    static func parse(_ raw: String?) -> Int? {
        guard let raw, let n = Int(raw), range.contains(n) else { return nil }
        return n
    }
}
