import CHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One-pass listing of attribute and link names.
///
/// HDF5's `H5Aget_name_by_idx` / `H5Lget_name_by_idx` rebuild and sort the object's whole
/// name table on every call for compact storage, so listing n names by index costs
/// O(n² log n): a crafted file with 30,000 attributes kept `ckpt verify` busy for minutes.
/// `H5Aiterate2` / `H5Literate` build the table once (found by scripts/reliability).
///
/// Names are UTF-8 or an error naming the file, the parent object and the bytes, as stored
/// string values are (`utf8String`): U+FFFD in their place would be a key the file does not hold.
enum HDF5NameListing {
    /// Collects names into the array behind `op_data`; stops (returns 1) past `limit`.
    private final class Collector {
        var names: [String] = []
        let limit: Int
        var tooLong = false
        /// The first name that is not UTF-8; iteration stops there.
        var notUTF8: [UInt8]?
        init(limit: Int) { self.limit = limit }

        func add(_ name: UnsafePointer<CChar>?) -> herr_t {
            guard let name else { return -1 }
            let len = strnlen(name, maxNameLength + 1)
            if len > maxNameLength { tooLong = true; return -1 }
            let bytes = UnsafeRawBufferPointer(start: name, count: len)
            guard let text = String(validating: bytes, as: UTF8.self) else { notUTF8 = Array(bytes); return -1 }
            names.append(text)
            return names.count >= limit ? 1 : 0
        }
    }

    static func attributeNames(_ id: hid_t, index: H5_index_t, expected: Int, at loc: HDF5Location) throws -> [String] {
        try names(expected: expected, at: loc, op: "list attributes", noun: "attributes") { idx, data in
            H5Aiterate2(id, index, ckpt_H5_ITER_INC(), idx, { _, name, _, data in
                Unmanaged<Collector>.fromOpaque(data!).takeUnretainedValue().add(name)
            }, data)
        }
    }

    static func linkNames(_ id: hid_t, index: H5_index_t, expected: Int, at loc: HDF5Location) throws -> [String] {
        try names(expected: expected, at: loc, op: "list group", noun: "links") { idx, data in
            H5Literate(id, index, ckpt_H5_ITER_INC(), idx, { _, name, _, data in
                Unmanaged<Collector>.fromOpaque(data!).takeUnretainedValue().add(name)
            }, data)
        }
    }

    /// Runs one iteration (`iterate(&idx, collector)`) and checks that it listed the `expected`
    /// names the object announced.
    private static func names(
        expected: Int, at loc: HDF5Location, op: String, noun: String,
        iterate: (UnsafeMutablePointer<hsize_t>, UnsafeMutableRawPointer) -> herr_t
    ) throws -> [String] {
        let c = Collector(limit: expected)
        var idx: hsize_t = 0
        let r = withExtendedLifetime(c) { iterate(&idx, Unmanaged.passUnretained(c).toOpaque()) }
        if c.tooLong { throw loc.error(op, "a name longer than \(maxNameLength) bytes") }
        if let bytes = c.notUTF8 { throw loc.error(op, "a name \(notUTF8(bytes))") }
        if r < 0 { throw loc.error(op) }
        guard c.names.count == expected else {
            throw loc.error(op, "\(expected) \(noun) announced, \(c.names.count) listed")
        }
        return c.names
    }
}
