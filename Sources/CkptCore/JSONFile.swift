#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension JSON {
    /// The largest JSON file `parse(contentsOf:)` reads by default. A run or schedule config is
    /// a few hundred bytes; the parsed tree costs up to ~25x its text (every `StateValue` is
    /// a boxed enum: `[1,1,1,...]` takes 2 bytes a number as text, ~50 as values), so a 200 MB
    /// config took 2.2 GiB before this limit. 1 MiB is a thousand times any real config.
    public static let maxFileBytes = 1 << 20

    /// Why a JSON file could not be read, before any parsing: the message names no file (the
    /// caller's error does).
    public struct FileError: Error, CustomStringConvertible, Equatable, Sendable {
        public var message: String
        public var description: String { message }
        public init(message: String) { self.message = message }
    }

    /// Reads and parses the JSON file at `path` (a run config, a schedule config).
    ///
    /// Refused before a byte is read: a path that is not a regular file (a FIFO would block
    /// the command forever; opened with `O_NONBLOCK` and checked with `fstat`), and a file of
    /// more than `maxBytes` bytes. The text is read once into one buffer and parsed from it
    /// (no `String` or `Data` copies beside it). Throws `FileError` ("no such file", "not
    /// UTF-8 text", the size and the limit) or `JSON.ParseError`.
    public static func parse(contentsOf path: String, maxBytes: Int = maxFileBytes) throws -> StateValue {
        let bytes = try readFile(path, maxBytes: maxBytes)
        guard isUTF8(bytes) else { throw FileError(message: "not UTF-8 text") }
        var parser = JSONParser(bytes)
        return try parser.parseDocument()
    }

    private static func readFile(_ path: String, maxBytes: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let e = errno
            throw FileError(message: e == ENOENT ? "no such file" : "cannot read the file: \(String(cString: strerror(e)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileError(message: "cannot read the file: \(String(cString: strerror(errno)))") }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw FileError(message: "not a regular file (\((st.st_mode & S_IFMT) == S_IFDIR ? "a directory" : "a FIFO, device or socket"))")
        }
        let size = Int(st.st_size)
        guard size <= maxBytes else {
            throw FileError(message: "the file is \(size) bytes, more than the \(maxBytes) a JSON config may hold (a config is a few hundred bytes): is this the right file?")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, size - done) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw FileError(message: "cannot read the file: \(String(cString: strerror(errno)))") }
            if n == 0 { break }  // shrank while being read: parse what is there
            done += n
        }
        // A file that grew while being read keeps the size fstat gave (the limit holds).
        if done < size { bytes.removeLast(size - done) }
        return bytes
    }

    /// Whether `bytes` are valid UTF-8, without building a `String`.
    private static func isUTF8(_ bytes: [UInt8]) -> Bool {
        var it = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&it) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
