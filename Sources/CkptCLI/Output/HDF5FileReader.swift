import CkptCore
import CkptFormat
import HDF5

extension FileReader {
    /// The real reader: `CheckpointFile.load` (checksums verified) for checkpoints, the
    /// bounded `HDF5Tree` walk for any other HDF5 file.
    public static let hdf5 = FileReader(
        isCheckpoint: { path in
            // A ckpt manifest that does not match: a damaged checkpoint, reported by `load`
            // (which checks the manifest first); never let HDF5 parse its metadata here.
            if (try? CheckpointFile.checkManifest(path)) == nil { return true }
            let file: HDF5File
            do { file = try HDF5File.open(path) } catch let e as HDF5Error {
                throw CLIError.file(path, "not a readable HDF5 file (\(e.reason)); check that it is a checkpoint and not truncated")
            }
            defer { try? file.close() }
            let root = try file.root()
            guard try root.hasAttribute("format") else { return false }
            if case .strings(let s, _) = try root.readAttribute("format") { return s == ["ckpt"] }
            return false
        },
        loadCheckpoint: { path in try CheckpointFile.load(path) },
        tree: { path in
            let tree: HDF5Tree
            do { tree = try HDF5Tree.read(path) } catch let e as HDF5Error {
                throw CLIError.file(path, "not a readable HDF5 file (\(e.reason)); check the path")
            }
            var root = FileTreeNode(tree.root)
            if tree.truncated { root.attributes.append((name: "(listing truncated)", value: nil, type: "too many objects or too deep")) }
            return root
        },
        loadListingDamage: { path in try CheckpointFile.loadListingDamage(path) })
}

extension FileTreeNode {
    init(_ n: HDF5Tree.Node) {
        let attributes = n.attributes.map { a -> (name: String, value: StateValue?, type: String) in
            let type = a.info.shape.map { $0.isEmpty ? a.info.type : "\(a.info.type) \(Format.shape($0))" } ?? "\(a.info.type) (null)"
            return (a.info.name, a.value.flatMap(StateValue.init(attribute:)), a.error.map { "\(type), unreadable: \($0)" } ?? type)
        }
        switch n.kind {
        case .group:
            self.init(name: n.name, path: n.path, kind: .group, attributes: attributes, children: n.children.map(FileTreeNode.init))
        case .dataset(let d):
            self.init(name: n.name, path: n.path, kind: .dataset, shape: d.shape, type: d.type, attributes: attributes)
            storage = "\(d.layout.rawValue), \(Format.bytes(d.storageBytes))" + (d.filterCount > 0 ? ", \(Format.count(d.filterCount, "filter"))" : "")
        case .softLink(let target): self.init(name: n.name, path: n.path, kind: .other, type: "soft link -> \(target)")
        case .externalLink(let target): self.init(name: n.name, path: n.path, kind: .other, type: "external link -> \(target)")
        case .alreadyListed(let path): self.init(name: n.name, path: n.path, kind: .other, type: "hard link to \(path)")
        case .namedDatatype: self.init(name: n.name, path: n.path, kind: .other, type: "named datatype")
        case .other: self.init(name: n.name, path: n.path, kind: .other, type: "other object")
        case .unreadable(let reason): self.init(name: n.name, path: n.path, kind: .other, type: "unreadable: \(reason)")
        }
    }
}

extension StateValue {
    /// An attribute's value as the Python value h5py would give (scalars, flat lists).
    init?(attribute v: HDF5AttributeValue) {
        switch v {
        case .empty: self = .none
        case .strings(let s, let shape): self = shape.isEmpty && s.count == 1 ? .string(s[0]) : .list(s.map { .string($0) })
        case .numbers(let a):
            let items: [StateValue]
            switch a.type {
            case .float64: items = (a.values(as: Double.self) ?? []).map { .double($0) }
            case .float32: items = (a.values(as: Float.self) ?? []).map { .double(Double($0)) }
            case .float16:
                // Raw little-endian binary16 bits (`values(as:)` only reads exact Swift types).
                guard a.bytes.count == a.count * 2 else { return nil }
                let bits = (0..<a.count).map { UInt16(a.bytes[2 * $0]) | UInt16(a.bytes[2 * $0 + 1]) << 8 }
                items = TensorData(shape: [bits.count], storage: .float16(bits)).doubleElements.map { .double($0) }
            case .int64: items = (a.values(as: Int64.self) ?? []).map { .int($0) }
            case .int32: items = (a.values(as: Int32.self) ?? []).map { .int(Int64($0)) }
            case .int16: items = (a.values(as: Int16.self) ?? []).map { .int(Int64($0)) }
            case .int8: items = (a.values(as: Int8.self) ?? []).map { .int(Int64($0)) }
            case .uint64: items = (a.values(as: UInt64.self) ?? []).map { $0 <= UInt64(Int64.max) ? .int(Int64($0)) : .double(Double($0)) }
            case .uint32: items = (a.values(as: UInt32.self) ?? []).map { .int(Int64($0)) }
            case .uint16: items = (a.values(as: UInt16.self) ?? []).map { .int(Int64($0)) }
            case .uint8: items = (a.values(as: UInt8.self) ?? []).map { .int(Int64($0)) }
            case .bool: items = (a.values(as: Bool.self) ?? []).map { .bool($0) }
            }
            guard items.count == a.count else { return nil }
            self = a.shape.isEmpty ? items[0] : .list(items)
        }
    }
}
