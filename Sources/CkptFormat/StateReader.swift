#if canImport(Glibc)
import Glibc
#endif
import CkptCore
import Dispatch
import HDF5

/// Reads groups written by `StateWriter` back into identical `StateDict`s, treating the file
/// as untrusted: bounded depth and object count, types and shapes checked, sizes checked
/// against the file before allocating (`HDF5Dataset.read`), checksums verified on a second
/// core while the next tensor is read.
final class StateReader {
    let file: String
    let verifyChecksums: Bool
    private var visited = 0
    private var checks: [(path: String, expected: String, box: HashBox)] = []
    private let pending = DispatchGroup()
    /// Attributes that are derived metadata, not state, per object path (`param_name` on
    /// `/optimizer/state/<i>`).
    var ignoredAttributes: (String) -> Set<String> = { _ in [] }
    /// When set, numeric datasets of more than this many bytes whose every ancestor is a dict
    /// are not read: they are recorded in `deferred` (shape, dtype, stored checksum) and
    /// appear in the tree as stand-ins (`TensorData.standIn`), for `CheckpointOutline`.
    var inlineBytes: Int?
    /// The tensors left in the file, in walk order (only with `inlineBytes`).
    private(set) var deferred: [DeferredTensor] = []

    init(file: String, verifyChecksums: Bool) {
        self.file = file
        self.verifyChecksums = verifyChecksums
    }

    /// When set, `finish` records every checksum mismatch in `mismatches` instead of throwing
    /// the first (to show a damaged checkpoint, tensor by tensor).
    var collectMismatches = false
    private(set) var mismatches: [CheckpointError] = []

    /// Waits for outstanding checksum jobs and throws the first mismatch, in file order.
    func finish() throws {
        pending.wait()
        for c in checks {
            let actual = Checksum.format(c.box.value)
            if actual != c.expected {
                let e = CheckpointError.checksumMismatch(file: file, path: c.path, expected: c.expected, actual: actual)
                guard collectMismatches else { throw e }
                mismatches.append(e)
            }
        }
        checks.removeAll()
    }

    func read(_ group: HDF5Group) throws -> StateDict {
        defer { pending.wait() }
        return try read(group, depth: 0, inList: false)
    }

    private func count(_ n: Int, at path: String) throws {
        visited += n
        if visited > CheckpointFormat.maxObjects {
            throw CheckpointError.malformed(file: file, path: path,
                                            reason: "more than \(CheckpointFormat.maxObjects) objects")
        }
    }

    /// `inList`: some ancestor is a list or tuple, whose tensors are always read (the diff
    /// compares such lists as one value, so they must hold real data).
    private func read(_ group: HDF5Group, depth: Int, inList: Bool) throws -> StateDict {
        let path = group.path
        guard depth < CheckpointFormat.maxDepth else {
            throw CheckpointError.malformed(file: file, path: path,
                                            reason: "nested deeper than \(CheckpointFormat.maxDepth) levels")
        }
        do {
            let ignored = ignoredAttributes(path)
            let allAttributes = try group.attributeNames()
            let links = try group.childNames()
            try count(allAttributes.count + links.count, at: path)
            let attributes = allAttributes.filter { !$0.hasPrefix(CheckpointFormat.reservedPrefix) && !ignored.contains($0) }
            let tuples = Set(try reservedStrings(group, CheckpointFormat.tuplesAttribute, allAttributes) ?? [])
            var values: [String: StateValue] = [:]
            for name in attributes {
                values[name] = try decodeAttribute(try group.readAttribute(name), isTuple: tuples.contains(name),
                                                   path: childPath(path, name))
            }
            for name in links {
                let p = childPath(path, name)
                guard values[name] == nil else {
                    throw CheckpointError.malformed(file: file, path: p, reason: "both an attribute and a link")
                }
                // One look-up of what the child is, then one open (not childKind + open*).
                switch try group.openChild(name) {
                case (.group, let g as HDF5Group):
                    values[name] = try readGroupValue(g, depth: depth + 1, inList: inList)
                case (.dataset, let ds as HDF5Dataset):
                    values[name] = try readDatasetValue(ds, group: group, name: name, inList: inList)
                case (let k, _):
                    throw CheckpointError.malformed(file: file, path: p, reason: "unsupported object (\(k))")
                }
            }
            var order = attributes + links
            if let recorded = try reservedStrings(group, CheckpointFormat.orderAttribute, allAttributes) {
                guard recorded.count == order.count, Set(recorded) == Set(order) else {
                    throw CheckpointError.malformed(
                        file: file, path: path,
                        reason: "\(CheckpointFormat.orderAttribute) lists \(recorded) but the group holds \(order)")
                }
                order = recorded
            }
            var dict = StateDict(order.map { ($0, values[$0]!) })
            try readKeyTypes(group, allAttributes, into: &dict)
            return dict
        } catch let e as HDF5Error {
            throw CheckpointError(e)
        }
    }

    /// `__ckpt_keys__` and `__ckpt_class__`: int keys (each name a canonical decimal) and the
    /// dict's `collections` class.
    private func readKeyTypes(_ group: HDF5Group, _ present: [String], into dict: inout StateDict) throws {
        if let kind = try reservedString(group, CheckpointFormat.keysAttribute, present) {
            guard kind == StateDict.KeyKind.int.rawValue else {
                throw CheckpointError.malformed(file: file, path: childPath(group.path, CheckpointFormat.keysAttribute),
                                                reason: "expected \"int\", found \"\(kind)\"")
            }
            for key in dict.keys where StateDict.intKey(key) == nil {
                throw CheckpointError.malformed(file: file, path: childPath(group.path, key),
                                                reason: "the group's keys are ints (\(CheckpointFormat.keysAttribute) = \"int\"), but \"\(key)\" is not an int in canonical decimal form")
            }
            dict.keyKind = .int
        }
        if let name = try reservedString(group, CheckpointFormat.classAttribute, present) {
            guard let c = StateDict.PythonClass(rawValue: name) else {
                throw CheckpointError.malformed(file: file, path: childPath(group.path, CheckpointFormat.classAttribute),
                                                reason: "expected \"Counter\", found \"\(name)\"")
            }
            dict.pythonClass = c
        }
    }

    private func reservedString(_ group: HDF5Group, _ name: String, _ present: [String]) throws -> String? {
        guard present.contains(name) else { return nil }
        guard case .strings(let s, []) = try group.readAttribute(name), let value = s.first else {
            throw CheckpointError.malformed(file: file, path: childPath(group.path, name), reason: "expected a string")
        }
        return value
    }

    private func reservedStrings(_ group: HDF5Group, _ name: String, _ present: [String]) throws -> [String]? {
        guard present.contains(name) else { return nil }
        switch try group.readAttribute(name) {
        case .strings(let s, let shape) where shape.count == 1: return s
        default:
            throw CheckpointError.malformed(file: file, path: childPath(group.path, name),
                                            reason: "expected a 1-D string array")
        }
    }

    private func readGroupValue(_ group: HDF5Group, depth: Int, inList: Bool) throws -> StateValue {
        let attrs = try group.attributeNames()
        guard attrs.contains(CheckpointFormat.kindAttribute) else {
            return .dict(try read(group, depth: depth, inList: inList))
        }
        let kind = try group.readAttribute(CheckpointFormat.kindAttribute)
        let elements = try read(group, depth: depth, inList: true)
        guard elements.keys == (0..<elements.count).map(String.init) else {
            throw CheckpointError.malformed(file: file, path: group.path,
                                            reason: "list elements must be named 0..<\(elements.count), found \(elements.keys)")
        }
        guard elements.keyKind == .string, elements.pythonClass == nil else {
            throw CheckpointError.malformed(file: file, path: group.path,
                                            reason: "a list or tuple group cannot carry \(CheckpointFormat.keysAttribute) or \(CheckpointFormat.classAttribute)")
        }
        let items = elements.map(\.value)
        switch kind {
        case .strings(["list"], []): return .list(items)
        case .strings(["tuple"], []): return .tuple(items)
        default:
            throw CheckpointError.malformed(file: file, path: childPath(group.path, CheckpointFormat.kindAttribute),
                                            reason: "expected \"list\" or \"tuple\", found \(kind)")
        }
    }

    /// An attribute as a state value: scalars and 1-D arrays, through the one decoder the
    /// listing of foreign files uses too (`AttributeDecoder`).
    func decodeAttribute(_ value: HDF5AttributeValue, isTuple: Bool, path: String) throws -> StateValue {
        try AttributeDecoder(file: file).decode(value, path: path, isTuple: isTuple)
    }

    private func malformedShape(_ shape: [Int], _ path: String) -> CheckpointError {
        .malformed(file: file, path: path, reason: "attribute of shape \(shape): only scalars and 1-D arrays are state values")
    }

    private func readDatasetValue(_ ds: HDF5Dataset, group: HDF5Group, name: String, inList: Bool) throws -> StateValue {
        let contents = try ds.contents()
        if contents == .strings {
            guard let shape = try ds.shape() else { return .none }
            let s = try ds.readStrings()
            if shape.isEmpty { return .string(s[0]) }
            guard shape.count == 1 else { throw malformedShape(shape, ds.path) }
            return .list(s.map { .string($0) })
        }
        let (shape, dtype) = try tensorHeader(ds, contents)
        if let limit = inlineBytes, !inList {
            let n = try checkedByteCount(ds, shape: shape, dtype: dtype)
            if n > limit {
                let expected = verifyChecksums ? try storedChecksum(ds) : nil
                deferred.append(DeferredTensor(path: String(ds.path.dropFirst()), group: group, name: name,
                                               shape: shape, dtype: dtype, checksum: expected))
                return .tensor(.standIn(shape: shape, dtype: dtype))
            }
        }
        let tensor = try readTensorData(ds, shape: shape, dtype: dtype)
        if verifyChecksums {
            let expected = try storedChecksum(ds)
            let box = HashBox()
            checks.append((ds.path, expected, box))
            if tensor.byteCount >= StateWriter.parallelHashBytes {
                DispatchQueue.global().async(group: pending) { box.value = tensor.withUnsafeBytes { Checksum.xxh64($0) } }
            } else {
                box.value = tensor.withUnsafeBytes { Checksum.xxh64($0) }
            }
        }
        return .tensor(tensor)
    }

    /// The dataset's checksum attribute, lowercased (`"xxh64:<hex>"`); throws when it is
    /// missing or malformed.
    private func storedChecksum(_ ds: HDF5Dataset) throws -> String {
        guard try ds.hasAttribute(CheckpointFormat.checksumAttribute) else {
            throw CheckpointError.missingChecksum(file: file, path: ds.path)
        }
        guard case .strings(let s, []) = try ds.readAttribute(CheckpointFormat.checksumAttribute),
              s[0].hasPrefix(Checksum.algorithm + ":")
        else {
            throw CheckpointError.malformed(file: file, path: childPath(ds.path, CheckpointFormat.checksumAttribute),
                                            reason: "expected \"\(Checksum.algorithm):<hex>\"")
        }
        return s[0].lowercased()
    }

    /// Shape and dtype of a numeric dataset, checked.
    private func tensorHeader(_ ds: HDF5Dataset, _ contents: HDF5Contents? = nil) throws -> (shape: [Int], dtype: DType) {
        guard let shape = try ds.shape() else {
            throw CheckpointError.malformed(file: file, path: ds.path, reason: "dataset has a null dataspace")
        }
        let marked = try storedDTypeName(ds)
        guard case .numbers(let et) = try contents ?? ds.contents(), let dtype = DType(et, dtypeAttribute: marked) else {
            let stored = try ds.typeDescription()
            throw CheckpointError.malformed(file: file, path: ds.path,
                                            reason: "unsupported tensor dtype \(stored)" + (marked.map { " marked \(CheckpointFormat.dtypeAttribute) = \($0)" } ?? ""))
        }
        return (shape, dtype)
    }

    /// The dataset's `__ckpt_dtype__` attribute (bfloat16 over uint16), nil when absent.
    private func storedDTypeName(_ ds: HDF5Dataset) throws -> String? {
        guard try ds.hasAttribute(CheckpointFormat.dtypeAttribute) else { return nil }
        guard case .strings(let s, []) = try ds.readAttribute(CheckpointFormat.dtypeAttribute) else {
            throw CheckpointError.malformed(file: file, path: childPath(ds.path, CheckpointFormat.dtypeAttribute),
                                            reason: "expected a string naming the dtype (\"bfloat16\")")
        }
        return s[0]
    }

    /// Reads a numeric dataset into a `TensorData` of its own dtype.
    func readTensor(_ ds: HDF5Dataset) throws -> TensorData {
        let (shape, dtype) = try tensorHeader(ds)
        return try readTensorData(ds, shape: shape, dtype: dtype)
    }
}

/// The byte count of `shape` at `dtype`, checked against the file before anything is
/// allocated for it (`HDF5Dataset.checkPlausible`).
func checkedByteCount(_ ds: HDF5Dataset, shape: [Int], dtype: DType) throws -> Int {
    let n: Int
    do { n = try TensorData.elementCount(shape, dtype: dtype) } catch {
        throw CheckpointError.malformed(file: ds.filePath, path: ds.path, reason: "\(error)")
    }
    do {
        try ds.checkPlausible(byteCount: n * dtype.size)
    } catch let e as HDF5Error {
        throw CheckpointError.malformed(file: e.file, path: e.path, reason: e.reason)
    }
    return n * dtype.size
}

/// Reads `ds` whole as `dtype` (HDF5 converts numeric types where needed).
func readTensorData(_ ds: HDF5Dataset, shape: [Int], dtype: DType) throws -> TensorData {
    let n = try checkedByteCount(ds, shape: shape, dtype: dtype) / dtype.size
    func load<T>(_: T.Type, _ type: HDF5ElementType) throws -> [T] {
        var failure: Error?
        let a = [T](unsafeUninitializedCapacity: n) { buf, count in
            adviseHugePages(UnsafeMutableRawBufferPointer(buf))
            do { try ds.read(into: UnsafeMutableRawBufferPointer(buf), as: type, checkedShape: shape) } catch { failure = error }
            count = n
        }
        if let failure { throw failure }
        return a
    }
    let storage: TensorData.Storage
    switch dtype {
    case .float32: storage = .float32(try load(Float.self, .float32))
    case .float64: storage = .float64(try load(Double.self, .float64))
    case .float16: storage = .float16(try load(UInt16.self, .float16))
    case .bfloat16: storage = .bfloat16(try load(UInt16.self, .uint16))
    case .int64: storage = .int64(try load(Int64.self, .int64))
    case .int32: storage = .int32(try load(Int32.self, .int32))
    case .int16: storage = .int16(try load(Int16.self, .int16))
    case .int8: storage = .int8(try load(Int8.self, .int8))
    case .uint8: storage = .uint8(try load(UInt8.self, .uint8))
    case .bool: storage = .bool(try load(UInt8.self, .bool).map { $0 != 0 })
    }
    do { return try TensorData(validating: shape, storage: storage) } catch {
        throw CheckpointError.malformed(file: ds.filePath, path: ds.path, reason: "\(error)")
    }
}

/// Asks Linux for transparent huge pages on a large fresh buffer (as numpy does for arrays
/// of 4 MiB and more): 512x fewer page faults while the read fills it.
func adviseHugePages(_ buffer: UnsafeMutableRawBufferPointer) {
    #if os(Linux)
    let huge = 2 << 20
    guard buffer.count >= 4 << 20, let base = buffer.baseAddress else { return }
    let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
    let end = (Int(bitPattern: base) + buffer.count) & ~(huge - 1)
    if end > start, let p = UnsafeMutableRawPointer(bitPattern: start) {
        _ = madvise(p, end - start, MADV_HUGEPAGE)
    }
    #endif
}
