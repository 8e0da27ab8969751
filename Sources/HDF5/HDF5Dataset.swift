import CHDF5
import CHDF5Probe

/// How a dataset's bytes are laid out in the file.
public enum HDF5Layout: String, Sendable {
    case compact, contiguous, chunked, virtual, unknown
}

/// An HDF5 dataset. Reads are whole-dataset; before allocating, a read checks that the
/// dataset's logical size is plausible for the file it lives in (a corrupt or hostile header
/// cannot make us allocate more than the file can back).
public final class HDF5Dataset: HDF5Object {
    override func creationPropertyList() -> hid_t { H5Dget_create_plist(handle.id) }

    /// The dataset's shape: `[]` for a scalar (0-d). A null dataspace is reported as `nil`.
    public func shape() throws -> [Int]? {
        let space = try location.check(H5Dget_space(handle.id), "get dataspace")
        defer { H5Sclose(space) }
        return try dataspaceShape(space, at: location, "read dataspace")
    }

    /// The element type, or nil (with `typeDescription` saying what it is) for types outside
    /// `HDF5ElementType` (strings, compounds, ...).
    public func elementType() throws -> HDF5ElementType? {
        if case .element(let e) = try storedType() { return e }
        return nil
    }

    /// A short name of the stored type: "float32", "bool", "string", "compound", ...
    public func typeDescription() throws -> String { try storedType().description }

    /// What the dataset holds, from one look at its stored type: strings, numbers of an
    /// `HDF5ElementType`, or something else (described as `typeDescription` would).
    public func contents() throws -> HDF5Contents {
        switch try storedType() {
        case .variableString, .fixedString: .strings
        case .element(let e): .numbers(e)
        case let t: .other(t.description)
        }
    }

    /// Whether the dataset holds strings (variable or fixed length).
    public func isString() throws -> Bool {
        switch try storedType() {
        case .variableString, .fixedString: true
        default: false
        }
    }

    func storedType() throws -> HDF5StoredType {
        let t = try location.check(H5Dget_type(handle.id), "get datatype")
        defer { H5Tclose(t) }
        return HDF5StoredType.classify(t)
    }

    /// Storage layout (ckpt writes contiguous).
    public func layout() throws -> HDF5Layout {
        let p = try location.check(H5Dget_create_plist(handle.id), "get creation properties")
        defer { H5Pclose(p) }
        switch H5Pget_layout(p) {
        case H5D_COMPACT: return .compact
        case H5D_CONTIGUOUS: return .contiguous
        case H5D_CHUNKED: return .chunked
        case H5D_VIRTUAL: return .virtual
        default: return .unknown
        }
    }

    /// Number of filters (compression, checksums) in the pipeline.
    public func filterCount() throws -> Int {
        let p = try location.check(H5Dget_create_plist(handle.id), "get creation properties")
        defer { H5Pclose(p) }
        return Int(try location.check(H5Pget_nfilters(p), "get filters"))
    }

    /// Absolute file offset of the raw data of a contiguous, written dataset (nil otherwise).
    /// With a user block, the offset counts from the start of the file, user block included.
    public func dataOffset() -> Int? {
        let o = ckpt_dataset_offset(handle.id)
        return o < 0 ? nil : Int(o)
    }

    /// Where the dataset's `byteCount` bytes lie in its file when a plain read of them gives
    /// exactly what `read(into:as: type)` would: the file ckpt opened itself (not a rebuilt
    /// copy, whose findings must replay), contiguous data at one offset (no chunks, filters or
    /// external storage), stored in `type`'s own memory layout (no conversion), all of it
    /// inside the file. Nil otherwise: read through `read(into:as:)`. Booleans always go that
    /// way (HDF5 maps their enum).
    public func rawByteRange(as type: HDF5ElementType, byteCount: Int) throws -> Range<Int>? {
        guard !file.isRebuiltCopy, type != .bool, byteCount > 0, try layout() == .contiguous,
              let offset = dataOffset(), storageSize() == byteCount else { return nil }
        let (end, overflow) = offset.addingReportingOverflow(byteCount)
        guard !overflow, end <= (try file.size()) else { return nil }
        let stored = try location.check(H5Dget_type(handle.id), "get datatype")
        defer { H5Tclose(stored) }
        let memory = type.makeTypeID()
        guard memory >= 0 else { return nil }
        defer { H5Tclose(memory) }
        return H5Tequal(stored, memory) > 0 ? offset..<end : nil
    }

    /// Bytes the dataset occupies in the file (may be 0 when never written).
    public func storageSize() -> Int { Int(clamping: H5Dget_storage_size(handle.id)) }

    /// Throws unless reading `byteCount` bytes is justified by the file: contiguous and
    /// compact data must fit in the file; filtered (compressed) data may expand, up to 1024x.
    /// Call it before allocating a buffer for `read(into:as:)` (which checks it again).
    public func checkPlausible(byteCount: Int, _ op: String = "read dataset") throws {
        try file.replay(.plausibility, path)
        // A rebuilt copy's data was checked against the original's size and layout already.
        if file.isRebuiltCopy { return }
        let fileSize = try file.size()
        // Contiguous data at an offset (every dataset ckpt writes) is neither filtered nor
        // virtual: the layout, a copy of the creation properties, need not be asked for.
        if dataOffset() != nil {
            if byteCount > fileSize {
                throw location.error(op, "dataset claims \(byteCount) bytes but the file holds only \(fileSize)")
            }
            return
        }
        let lay = try layout()
        let filtered = lay == .chunked ? try filterCount() > 0 : false
        let factor = filtered ? 1024 : 1
        let (limit, o) = fileSize.multipliedReportingOverflow(by: factor)
        if !o && byteCount > limit {
            throw location.error(op, "dataset claims \(byteCount) bytes but the file holds only \(fileSize)")
        }
        if lay == .virtual { throw location.error(op, "virtual datasets are not read") }
    }

    /// Writes the whole dataset from `bytes` (elements of `type`, row-major), whose size must be
    /// exactly `count * type.size`.
    public func write(_ bytes: UnsafeRawBufferPointer, as type: HDF5ElementType) throws {
        let op = "write dataset"
        let shape = try shape() ?? []
        let count = try checkedCount(shape, elementSize: type.size, at: location, op)
        guard bytes.count == count * type.size else {
            throw location.error(op, "\(bytes.count) bytes for shape \(shape) of \(type.rawValue)")
        }
        if count == 0 { return }
        try withTemporaryID({ type.makeTypeID() }, close: H5Tclose, at: location, op) { mtype in
            _ = try location.check(
                H5Dwrite(handle.id, mtype, ckpt_H5S_ALL(), ckpt_H5S_ALL(), ckpt_H5P_DEFAULT(), bytes.baseAddress), op)
        }
    }

    /// Reads the whole dataset, converted to `type`, into `buffer`, whose size must be
    /// exactly `count * type.size`.
    public func read(into buffer: UnsafeMutableRawBufferPointer, as type: HDF5ElementType) throws {
        let op = "read dataset"
        guard let shape = try shape() else {
            guard buffer.count == 0 else { throw location.error(op, "dataset has a null dataspace") }
            return
        }
        let count = try checkedCount(shape, elementSize: type.size, at: location, op)
        guard buffer.count == count * type.size else {
            throw location.error(op, "buffer of \(buffer.count) bytes for shape \(shape) of \(type.rawValue)")
        }
        if count == 0 { return }
        try checkPlausible(byteCount: count * type.size, op)
        try readWhole(into: buffer, as: type)
    }

    /// `read(into:as:)` for a caller that has just taken `shape` from this dataset, sized
    /// `buffer` from it and called `checkPlausible` for that size (the tensor reader): the
    /// same read without asking libhdf5 for the shape and layout again.
    public func read(into buffer: UnsafeMutableRawBufferPointer, as type: HDF5ElementType, checkedShape shape: [Int]) throws {
        let count = try checkedCount(shape, elementSize: type.size, at: location, "read dataset")
        guard buffer.count == count * type.size else {
            throw location.error("read dataset", "buffer of \(buffer.count) bytes for shape \(shape) of \(type.rawValue)")
        }
        if count == 0 { return }
        try readWhole(into: buffer, as: type)
    }

    private func readWhole(into buffer: UnsafeMutableRawBufferPointer, as type: HDF5ElementType) throws {
        let op = "read dataset"
        try file.replay(.data, path)
        try withTemporaryID({ type.makeTypeID() }, close: H5Tclose, at: location, op) { mtype in
            if H5Dread(handle.id, mtype, ckpt_H5S_ALL(), ckpt_H5S_ALL(), ckpt_H5P_DEFAULT(), buffer.baseAddress) < 0 {
                let error = location.error(op)
                // A missing filter plugin: HDF5 names only its plugin directory (as the probe's child words it).
                var why = [CChar](repeating: 0, count: 512)
                if ckpt_missing_filter(handle.id, &why, why.count) != 0 { throw location.error(op, String(cString: why)) }
                throw error
            }
        }
    }

    /// Reads the whole dataset as `T` (HDF5 converts between numeric types where it can).
    public func read<T: HDF5Scalar>(as: T.Type) throws -> [T] {
        let op = "read dataset"
        let shape = try shape() ?? [0]
        let count = try checkedCount(shape, elementSize: T.hdf5Type.size, at: location, op)
        try checkPlausible(byteCount: count * T.hdf5Type.size, op)
        if T.self == Bool.self {
            var raw = [UInt8](repeating: 0, count: count)
            try raw.withUnsafeMutableBytes { try read(into: $0, as: .bool) }
            return raw.map { ($0 != 0) as! T }
        }
        var failure: Error?
        let values = [T](unsafeUninitializedCapacity: count) { buf, n in
            do { try read(into: UnsafeMutableRawBufferPointer(buf), as: T.hdf5Type) } catch { failure = error }
            n = count
        }
        if let failure { throw failure }
        return values
    }

    /// Reads a string dataset (variable- or fixed-length).
    public func readStrings() throws -> [String] {
        let op = "read dataset"
        let space = try location.check(H5Dget_space(handle.id), op)
        defer { H5Sclose(space) }
        guard let shape = try dataspaceShape(space, at: location, op) else { return [] }
        let count = try checkedCount(shape, elementSize: 16, at: location, op)
        try checkPlausible(byteCount: count, op)
        try file.replay(.data, path)
        switch try storedType() {
        case .variableString:
            return try readVariableStrings(count: count, space: space, at: location, op) { mtype, buf in
                H5Dread(handle.id, mtype, ckpt_H5S_ALL(), ckpt_H5S_ALL(), ckpt_H5P_DEFAULT(), buf)
            }
        case .fixedString(let size):
            try checkPlausible(byteCount: count * size, op)
            return try readFixedStrings(count: count, size: size, at: location, op) { mtype, buf in
                H5Dread(handle.id, mtype, ckpt_H5S_ALL(), ckpt_H5S_ALL(), ckpt_H5P_DEFAULT(), buf)
            }
        case let t:
            throw location.error(op, "not a string dataset (\(t.description))")
        }
    }
}
