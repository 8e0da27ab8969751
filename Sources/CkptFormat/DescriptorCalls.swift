#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few descriptor-relative POSIX calls the save path and the temporary cleaner share:
/// every name is looked up in a directory descriptor, never through a path that a symlink
/// could redirect.
enum DescriptorCalls {
    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// `fstat`, nil on failure.
    static func status(_ fd: Int32) -> stat? {
        var st = stat()
        return fstat(fd, &st) == 0 ? st : nil
    }

    /// `fstatat` of `name` in `dirFD` without following a symlink; nil when absent.
    static func status(of name: String, in dirFD: Int32) -> stat? {
        var st = stat()
        return fstatat(dirFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st : nil
    }

    static func sameFile(_ a: stat?, _ b: stat?) -> Bool {
        guard let a, let b else { return false }
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }

    /// Whether `name` in `dirFD` is (still) the file open as `fd`.
    static func isBound(_ name: String, in dirFD: Int32, to fd: Int32) -> Bool {
        sameFile(status(of: name, in: dirFD), status(fd))
    }

    static func kind(_ st: stat) -> mode_t { st.st_mode & S_IFMT }

    /// "a symbolic link", "a directory", ... for messages about what a name holds.
    static func kindName(_ st: stat) -> String {
        switch kind(st) {
        case S_IFREG: "a regular file"
        case S_IFDIR: "a directory"
        case S_IFLNK: "a symbolic link"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        default: "a device"
        }
    }

    /// `openat` retried on EINTR; always close-on-exec.
    static func open(_ name: String, in dirFD: Int32, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
        while true {
            let fd = openat(dirFD, name, flags | O_CLOEXEC, mode)
            if fd >= 0 || errno != EINTR { return fd }
        }
    }

    /// Writes all of `bytes` at the descriptor's offset; false with errno set on failure.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var done = 0
        while done < bytes.count {
            #if canImport(Glibc)
            let r = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            #else
            let r = Darwin.write(fd, bytes.baseAddress! + done, bytes.count - done)
            #endif
            if r < 0, errno == EINTR { continue }
            guard r > 0 else {
                if r == 0 { errno = EIO }
                return false
            }
            done += r
        }
        return true
    }

    /// The names in the directory open as `dirFD` (without "." and ".."), or nil.
    static func names(in dirFD: Int32) -> [String]? {
        let copy = dup(dirFD)
        guard copy >= 0 else { return nil }
        guard let dir = fdopendir(copy) else {
            close(copy)
            return nil
        }
        defer { closedir(dir) }
        rewinddir(dir)
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }
}
