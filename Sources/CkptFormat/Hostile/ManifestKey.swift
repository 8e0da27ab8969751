#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels

/// The user's secret with which `save` signs a checkpoint's manifest (SipHash-2-4 of the
/// manifest and every metadata byte), so that `load` can tell the checkpoints this user saved
/// from files that merely claim to be ckpt's.
///
/// The manifest's XXH64 proves integrity against accident only: anyone can compute it, so a
/// hostile file with a correct manifest would reach libhdf5 in the caller's process. Only files
/// whose tag verifies under this key are parsed in-process; every other file (another user's,
/// h5py's, a forged one) is parsed first by an isolated child (`ForeignFile`).
///
/// The key is 16 random bytes in `$XDG_CONFIG_HOME/ckpt/manifest.key` (else
/// `$HOME/.config/ckpt/manifest.key`), created on first use with mode 0600 in a 0700 directory.
/// A key file that is not a regular file owned by this user and private to them is ignored:
/// then nothing is signed and every load is isolated, which is slower but never unsafe.
public struct ManifestKey: Sendable, Equatable {
    let bytes: [UInt8]

    init(bytes: [UInt8]) { self.bytes = bytes }

    static let size = 16

    /// Where the key is looked up: the user's configuration directory, a given file (tests,
    /// bench), or nowhere (every load isolated).
    @_spi(Testing) public enum Location: Sendable, Equatable {
        case userConfiguration
        case file(String)
        case none
    }

    /// The location used by the saves and loads inside `ManifestKey.location.withValue(l) { ... }`.
    @_spi(Testing) public static let location = TaskLocal(wrappedValue: Location.userConfiguration)

    /// The key path for `.userConfiguration`, nil without `XDG_CONFIG_HOME` and `HOME`.
    public static var userConfigurationPath: String? {
        if let x = getenv("XDG_CONFIG_HOME"), x.pointee == UInt8(ascii: "/") { return String(cString: x) + "/ckpt/manifest.key" }
        if let h = getenv("HOME"), h.pointee == UInt8(ascii: "/") { return String(cString: h) + "/.config/ckpt/manifest.key" }
        return nil
    }

    /// Where the key is looked up, for messages.
    static func describeLocation() -> String {
        switch location.get() {
        case .none: return "no key in use"
        case .file(let p): return p
        case .userConfiguration: return userConfigurationPath ?? "no key: neither XDG_CONFIG_HOME nor HOME is set"
        }
    }

    /// This user's key (created when `create` and missing), or nil when there is none to use.
    static func current(create: Bool) -> ManifestKey? {
        let path: String
        switch location.get() {
        case .none: return nil
        case .file(let p): path = p
        case .userConfiguration:
            guard let p = userConfigurationPath else { return nil }
            path = p
        }
        if let key = load(path) { return key }
        guard create else { return nil }
        return make(path) ?? load(path)
    }

    /// The tag of `parts` concatenated.
    func tag(_ parts: [UnsafeRawBufferPointer]) -> UInt64 {
        var state = ckpt_siphash_state()
        bytes.withUnsafeBufferPointer { ckpt_siphash24_init(&state, $0.baseAddress!) }
        for p in parts where p.count > 0 { ckpt_siphash24_update(&state, p.baseAddress, p.count) }
        return ckpt_siphash24_final(&state)
    }

    /// The key at `path` if it is a private regular file of this user holding exactly 16 bytes.
    private static func load(_ path: String) -> ManifestKey? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_uid == geteuid(),
              st.st_mode & 0o077 == 0, st.st_size == off_t(size) else { return nil }
        var key = [UInt8](repeating: 0, count: size)
        let n = key.withUnsafeMutableBytes { read(fd, $0.baseAddress!, size) }
        return n == size ? ManifestKey(bytes: key) : nil
    }

    /// Creates the key at `path` (and its directory, 0700): written to a private temporary and
    /// linked into place, so concurrent first saves agree on one key. Nil on any failure.
    private static func make(_ path: String) -> ManifestKey? {
        guard let slash = path.lastIndex(of: "/") else { return nil }
        let dir = String(path[..<slash])
        makeDirectories(dir)
        var key = [UInt8](repeating: 0, count: size)
        guard randomBytes(&key) else { return nil }
        let tmp = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        defer { unlink(tmp) }
        let written = key.withUnsafeBytes { write(fd, $0.baseAddress!, size) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == size, synced else { return nil }
        guard link(tmp, path) == 0 else { return nil }  // EEXIST: another process won; the caller reads its key
        return ManifestKey(bytes: key)
    }

    private static func makeDirectories(_ dir: String) {
        var prefix = ""
        for part in dir.split(separator: "/") {
            prefix += "/" + part
            mkdir(prefix, 0o700)
        }
    }

    private static func randomBytes(_ out: inout [UInt8]) -> Bool {
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let count = out.count
        return out.withUnsafeMutableBytes { read(fd, $0.baseAddress!, count) } == count
    }
}
