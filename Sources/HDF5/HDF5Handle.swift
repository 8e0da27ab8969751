import CHDF5

/// Owns one HDF5 identifier and closes it when the last reference goes away.
final class HDF5Handle {
    /// The identifier; reading it also silences HDF5's error printing on the calling thread
    /// (the thread-safe library keeps that setting per thread).
    var id: hid_t {
        HDF5Library.ensure()
        return rawID
    }
    private let rawID: hid_t
    private let closer: (hid_t) -> herr_t
    private var isOpen = true

    init(_ id: hid_t, closer: @escaping (hid_t) -> herr_t) {
        self.rawID = id
        self.closer = closer
    }

    /// Closes now and returns HDF5's status; later calls and deinit do nothing.
    func close() -> herr_t {
        guard isOpen else { return 0 }
        isOpen = false
        return closer(rawID)
    }

    deinit { _ = close() }
}

/// Where an object lives, for error messages: the file path and the path inside it.
struct HDF5Location {
    let file: String
    let path: String

    func child(_ name: String) -> HDF5Location {
        HDF5Location(file: file, path: path == "/" ? "/" + name : path + "/" + name)
    }

    func error(_ operation: String, _ reason: String? = nil) -> HDF5Error {
        HDF5Error(file: file, path: path, operation: operation, reason: reason ?? lastHDF5Reason())
    }

    /// Turns a negative HDF5 return into an `HDF5Error`.
    @discardableResult
    func check<T: BinaryInteger>(_ result: T, _ operation: @autoclosure () -> String) throws -> T {
        if result < 0 { throw error(operation()) }
        return result
    }
}

/// A datatype or dataspace built for one call and released after it.
func withTemporaryID<R>(
    _ make: () -> hid_t, close: (hid_t) -> herr_t, at loc: HDF5Location, _ what: String,
    _ body: (hid_t) throws -> R
) throws -> R {
    let id = make()
    if id < 0 { throw loc.error(what) }
    defer { _ = close(id) }
    return try body(id)
}
