import CHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A group or dataset: anything that carries attributes.
///
/// Attribute names list in creation order when the object tracks it (every object this
/// module creates does), else in name order (foreign files written without tracking).
public class HDF5Object {
    let handle: HDF5Handle
    let file: HDF5File
    let location: HDF5Location

    init(handle: HDF5Handle, file: HDF5File, location: HDF5Location) {
        self.handle = handle
        self.file = file
        self.location = location
    }

    /// The object's path inside the file ("/optimizer/state/0").
    public var path: String { location.path }
    /// The file's path on disk.
    public var filePath: String { file.path }

    // MARK: listing

    /// Attribute names, in creation order when tracked, else name order.
    public func attributeNames() throws -> [String] {
        try file.replay(.attributes, path)
        let n = ckpt_attribute_count(handle.id)
        if n < 0 { throw location.error("count attributes") }
        if n == 0 { return [] }
        guard n <= HDF5File.maxObjectsPerGroup else {
            throw location.error("list attributes", "\(n) attributes (limit \(HDF5File.maxObjectsPerGroup))")
        }
        if n > HDF5File.maxUnindexedAttributes {
            let indexed = ckpt_attributes_indexed(handle.id)
            if indexed < 0 { throw location.error("count attributes") }
            if indexed == 0 { throw location.error("list attributes", Self.unindexedReason(count: n)) }
        }
        let index = tracksAttributeOrder() ? ckpt_H5_INDEX_CRT_ORDER() : ckpt_H5_INDEX_NAME()
        return try attributeNames(count: Int(n), index: index)
    }

    /// Why `count` attributes without a name index are not read (`HDF5File.maxUnindexedAttributes`).
    static func unindexedReason(count: Int64) -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        ckpt_unindexed_attributes_reason(UInt64(count), Int64(HDF5File.maxUnindexedAttributes), &buffer, buffer.count)
        return String(cString: buffer)
    }

    /// The object's creation property list (caller closes), or -1.
    func creationPropertyList() -> hid_t { -1 }

    private func tracksAttributeOrder() -> Bool { tracksCreationOrder { H5Pget_attr_creation_order($0, $1) } }

    /// Whether the creation property list's `get` (attribute or link creation order) says the
    /// order is tracked; false when the object has no such list.
    func tracksCreationOrder(_ get: (hid_t, UnsafeMutablePointer<UInt32>) -> herr_t) -> Bool {
        let p = creationPropertyList()
        guard p >= 0 else { return false }
        defer { H5Pclose(p) }
        var flags: UInt32 = 0
        return get(p, &flags) >= 0 && flags & ckpt_H5P_CRT_ORDER_TRACKED() != 0
    }

    private func attributeNames(count: Int, index: H5_index_t) throws -> [String] {
        try HDF5NameListing.attributeNames(handle.id, index: index, expected: count, at: location)
    }

    public func hasAttribute(_ name: String) throws -> Bool {
        let r = H5Aexists(handle.id, name)
        if r < 0 { throw location.error("look up attribute '\(name)'") }
        return r > 0
    }

    // MARK: reading

    /// Reads attribute `name`. Numeric arrays larger than the file (a corrupt header) and
    /// types outside `HDF5ElementType` / strings are errors.
    public func readAttribute(_ name: String) throws -> HDF5AttributeValue {
        try withAttribute(name) { attr, space, ftype, op in try readAttribute(attr, space: space, type: ftype, op) }
    }

    private func readAttribute(_ attr: hid_t, space: hid_t, type ftype: hid_t, _ op: String) throws -> HDF5AttributeValue {
        guard let shape = try dataspaceShape(space, at: location, op) else { return .empty }
        let count = try checkedCount(shape, elementSize: max(1, H5Tget_size(ftype)), at: location, op)
        switch HDF5StoredType.classify(ftype) {
        case .element(let e):
            var bytes = [UInt8](repeating: 0, count: count * e.size)
            try withTemporaryID({ e.makeTypeID() }, close: H5Tclose, at: location, op) { mtype in
                let r = bytes.withUnsafeMutableBytes { H5Aread(attr, mtype, $0.baseAddress) }
                try location.check(r, op)
            }
            if e == .bool { bytes = bytes.map { $0 == 0 ? 0 : 1 } }
            return .numbers(HDF5Array(type: e, shape: shape, bytes: bytes))
        case .variableString:
            return .strings(try readVariableStrings(count: count, space: space, at: location, op) { mtype, buf in
                H5Aread(attr, mtype, buf)
            }, shape: shape)
        case .fixedString(let size):
            return .strings(try readFixedStrings(count: count, size: size, at: location, op) { mtype, buf in
                H5Aread(attr, mtype, buf)
            }, shape: shape)
        case .other(let d):
            throw location.error(op, "unsupported attribute type \(d)")
        }
    }

    // MARK: writing

    /// Creates attribute `name` (it must not exist yet) with `value`.
    public func writeAttribute(_ name: String, _ value: HDF5AttributeValue) throws {
        let op = "create attribute '\(name)'"
        // Scalars (most attributes) and strings use the shared dataspace and type, which
        // must not be closed here.
        let isScalar = value.shape == []
        let space: hid_t
        switch value {
        case .empty: space = H5Screate(ckpt_H5S_NULL())
        default: space = isScalar ? HDF5SharedIDs.scalarSpace : makeDataspace(value.shape ?? [])
        }
        if space < 0 { throw location.error(op) }
        defer { if !isScalar { H5Sclose(space) } }
        let makeType: () -> hid_t
        var closeType: (hid_t) -> herr_t = H5Tclose
        switch value {
        case .empty: makeType = { H5Tcopy(ckpt_H5T_STD_I8LE()) }
        case .numbers(let a): makeType = { a.type.makeTypeID() }
        case .strings:
            makeType = { HDF5SharedIDs.utf8String }
            closeType = { _ in 0 }
        }
        try withTemporaryID(makeType, close: closeType, at: location, op) { type in
            // UTF-8 attribute names (h5py sets the same), so unicode keys round-trip.
            let acpl = try location.check(HDF5SharedIDs.utf8Attribute, op)
            let attr = H5Acreate2(handle.id, name, type, space, acpl, ckpt_H5P_DEFAULT())
            if attr < 0 { throw location.error(op) }
            defer { H5Aclose(attr) }
            switch value {
            case .empty: break
            case .numbers(let a):
                guard a.bytes.count == a.count * a.type.size else {
                    throw location.error(op, "\(a.bytes.count) bytes for shape \(a.shape) of \(a.type.rawValue)")
                }
                let r = a.bytes.withUnsafeBytes { H5Awrite(attr, type, $0.baseAddress) }
                try location.check(r, op)
            case .strings(let strings, let shape):
                guard strings.count == shape.reduce(1, *) else {
                    throw location.error(op, "\(strings.count) strings for shape \(shape)")
                }
                try withCStringArray(strings) { ptrs in
                    try location.check(H5Awrite(attr, type, ptrs), op)
                }
            }
        }
    }
}

// MARK: shared helpers

let maxNameLength = 1 << 16

/// `nil` for a null dataspace, `[]` for a scalar, the dimensions for a simple one.
func dataspaceShape(_ space: hid_t, at loc: HDF5Location, _ op: String) throws -> [Int]? {
    let cls = H5Sget_simple_extent_type(space)
    if cls == ckpt_H5S_NULL() { return nil }
    if cls == ckpt_H5S_SCALAR() { return [] }
    guard cls == ckpt_H5S_SIMPLE() else { throw loc.error(op, "unknown dataspace class") }
    let rank = H5Sget_simple_extent_ndims(space)
    guard rank >= 0, rank <= 32 else { throw loc.error(op, "dataspace of rank \(rank)") }
    var dims = [hsize_t](repeating: 0, count: Int(rank))
    if rank > 0 { try loc.check(H5Sget_simple_extent_dims(space, &dims, nil), op) }
    return try dims.map {
        guard $0 <= hsize_t(Int.max) else { throw loc.error(op, "dimension \($0) too large") }
        return Int($0)
    }
}

/// Element count of `shape`, refusing overflow and anything beyond 2^62 bytes.
func checkedCount(_ shape: [Int], elementSize: Int, at loc: HDF5Location, _ op: String) throws -> Int {
    var n = 1
    for d in shape {
        let (m, o) = n.multipliedReportingOverflow(by: d)
        guard !o else { throw loc.error(op, "shape \(shape) overflows") }
        n = m
    }
    let (bytes, o) = n.multipliedReportingOverflow(by: elementSize)
    guard !o, bytes < (1 << 62) else { throw loc.error(op, "shape \(shape) overflows") }
    return n
}

func makeDataspace(_ shape: [Int]) -> hid_t {
    if shape.isEmpty { return H5Screate(ckpt_H5S_SCALAR()) }
    let dims = shape.map { hsize_t($0) }
    return H5Screate_simple(Int32(dims.count), dims, nil)
}

@discardableResult
func withCStringArray<R>(_ strings: [String], _ body: (UnsafeRawPointer) throws -> R) throws -> R {
    var ptrs: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { ptrs.forEach { free($0) } }
    return try ptrs.withUnsafeMutableBytes { try body(UnsafeRawPointer($0.baseAddress!)) }
}

func readVariableStrings(
    count: Int, space: hid_t, at loc: HDF5Location, _ op: String,
    _ read: (hid_t, UnsafeMutableRawPointer) -> herr_t
) throws -> [String] {
    guard count > 0 else { return [] }
    return try withTemporaryID({ ckpt_make_vlen_utf8_type() }, close: H5Tclose, at: loc, op) { mtype in
        var ptrs = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
        let r = ptrs.withUnsafeMutableBytes { read(mtype, $0.baseAddress!) }
        try loc.check(r, op)
        defer { _ = ptrs.withUnsafeMutableBytes { H5Dvlen_reclaim(mtype, space, ckpt_H5P_DEFAULT(), $0.baseAddress!) } }
        return try ptrs.enumerated().map { i, p in
            guard let p else { return "" }
            return try utf8String(UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self),
                                                      count: strlen(p)), element: i, of: count, at: loc, op)
        }
    }
}

func readFixedStrings(
    count: Int, size: Int, at loc: HDF5Location, _ op: String,
    _ read: (hid_t, UnsafeMutableRawPointer) -> herr_t
) throws -> [String] {
    guard count > 0, size > 0 else { return [String](repeating: "", count: count) }
    return try withTemporaryID({ ckpt_make_fixed_string_type(size) }, close: H5Tclose, at: loc, op) { mtype in
        var bytes = [UInt8](repeating: 0, count: count * size)
        let r = bytes.withUnsafeMutableBytes { read(mtype, $0.baseAddress!) }
        try loc.check(r, op)
        return try (0..<count).map { i in
            let slice = bytes[(i * size)..<((i + 1) * size)]
            let end = slice.firstIndex(of: 0) ?? slice.endIndex
            return try utf8String(slice[slice.startIndex..<end], element: i, of: count, at: loc, op)
        }
    }
}

/// The one decoding of a stored string's bytes (attribute or dataset, variable or fixed
/// length): UTF-8 or an error naming the object, the operation (the attribute) and the
/// element. Never lossy: U+FFFD in place of other bytes would be a value the file does not
/// hold, and a name or key compared with it would silently differ.
func utf8String<C: Collection>(_ bytes: C, element: Int, of count: Int, at loc: HDF5Location, _ op: String) throws -> String
where C.Element == UInt8 {
    if let s = String(validating: bytes, as: UTF8.self) { return s }
    let which = count == 1 ? "string" : "string \(element)"
    throw loc.error(op, "\(which) \(notUTF8(bytes))")
}

/// "is not valid UTF-8 (bytes 63 61 66 e9)": the reason for refusing a string or a name, with
/// its first 16 bytes in hex.
func notUTF8<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    let hex = bytes.prefix(16).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }
    return "is not valid UTF-8 (bytes \(hex.joined(separator: " "))\(bytes.count > 16 ? " ..." : ""))"
}

/// Type and shape of one attribute, read without its value.
public struct HDF5AttributeInfo: Sendable, Equatable {
    public var name: String
    /// "float64", "int64", "bool", "string", "string[8]", "compound", ...
    public var type: String
    /// `nil` for a null dataspace (h5py.Empty), `[]` for a scalar.
    public var shape: [Int]?
    /// Bytes the value occupies in memory (variable-length strings count 16 per element).
    public var byteCount: Int
}

extension HDF5Object {
    /// Type and shape of attribute `name`.
    public func attributeInfo(_ name: String) throws -> HDF5AttributeInfo {
        try withAttribute(name) { _, space, ftype, op in
            let stored = HDF5StoredType.classify(ftype)
            let shape = try dataspaceShape(space, at: location, op)
            let elementSize: Int = if case .variableString = stored { 16 } else { max(1, H5Tget_size(ftype)) }
            let count = try shape.map { try checkedCount($0, elementSize: elementSize, at: location, op) } ?? 0
            return HDF5AttributeInfo(name: name, type: stored.description, shape: shape, byteCount: count * elementSize)
        }
    }

    /// Opens attribute `name` (after replaying the probe's finding for it, if any) with its
    /// dataspace and file type, all closed after `body`; `op` names the read in errors.
    func withAttribute<R>(_ name: String, _ body: (_ attr: hid_t, _ space: hid_t, _ type: hid_t, _ op: String) throws -> R) throws -> R {
        let op = "read attribute '\(name)'"
        try file.replay(.attribute, path, name)
        let attr = H5Aopen(handle.id, name, ckpt_H5P_DEFAULT())
        if attr < 0 { throw location.error(op) }
        defer { H5Aclose(attr) }
        let space = try location.check(H5Aget_space(attr), op)
        defer { H5Sclose(space) }
        let ftype = try location.check(H5Aget_type(attr), op)
        defer { H5Tclose(ftype) }
        return try body(attr, space, ftype, op)
    }
}
