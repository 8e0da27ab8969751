import CkptCore
import HDF5

extension FileTreeNode {
    /// The tree of any HDF5 file at `path` (h5py's, Keras', a checkpoint's raw objects), walked
    /// by `HDF5Tree` with its bounds (depth, object count, attribute bytes), never following
    /// soft or external links. Small attribute values are decoded by the checkpoint reader's
    /// `AttributeDecoder` (arrays of any rank as nested lists); one it refuses keeps its type
    /// and the reason. A walk cut short by a bound adds a root attribute "(listing truncated)".
    ///
    /// libhdf5 parses the original file in this process: call it where a libhdf5 crash on a
    /// crafted file is contained (the CLI runs `ckpt inspect` in a limited child process,
    /// `ParseIsolation`). Throws `NotHDF5Error` when the file cannot be opened as HDF5; objects
    /// that cannot be read are listed as unreadable, with HDF5's reason.
    public static func list(_ path: String) throws -> FileTreeNode {
        if let kind = CheckpointDirectories.kind(path) { return try CheckpointDirectories.tree(path, kind: kind) }
        let tree: HDF5Tree
        do { tree = try HDF5Tree.read(path) } catch let e as HDF5Error {
            throw NotHDF5Error(file: path, reason: e.reason)
        }
        var root = FileTreeNode(tree.root, decoder: AttributeDecoder(file: path, nestedArrays: true))
        if tree.truncated { root.attributes.append((name: "(listing truncated)", value: nil, type: "too many objects or too deep")) }
        return root
    }

    init(_ n: HDF5Tree.Node, decoder: AttributeDecoder) {
        var attributes = n.attributes.map { a -> (name: String, value: StateValue?, type: String) in
            let shape = a.info.shape.map { $0.isEmpty ? "" : " [" + $0.map(String.init).joined(separator: ", ") + "]" }
            let type = a.info.type + (shape ?? " (null)")
            if let error = a.error { return (a.info.name, nil, "\(type), unreadable: \(error)") }
            guard let raw = a.value else { return (a.info.name, nil, type) }  // larger than the walk reads
            do {
                return (a.info.name, try decoder.decode(raw, path: childPath(n.path, a.info.name)), type)
            } catch let CheckpointError.malformed(_, _, reason) {
                return (a.info.name, nil, "\(type), not a state value: \(reason)")
            } catch {
                return (a.info.name, nil, "\(type), not a state value: \(error)")
            }
        }
        if let error = n.attributesError { attributes.append((name: "(attributes not listed)", value: nil, type: error)) }
        switch n.kind {
        case .group:
            self.init(name: n.name, path: n.path, kind: .group, attributes: attributes,
                      children: n.children.map { FileTreeNode($0, decoder: decoder) })
        case .dataset(let d):
            self.init(name: n.name, path: n.path, kind: .dataset, shape: d.shape, type: d.type, attributes: attributes)
            storage = Storage(layout: d.layout.rawValue, bytes: d.storageBytes, filterCount: d.filterCount)
        case .softLink(let target): self.init(name: n.name, path: n.path, kind: .other, type: "soft link -> \(target)")
        case .externalLink(let target): self.init(name: n.name, path: n.path, kind: .other, type: "external link -> \(target)")
        case .alreadyListed(let path): self.init(name: n.name, path: n.path, kind: .other, type: "hard link to \(path)")
        case .namedDatatype: self.init(name: n.name, path: n.path, kind: .other, type: "named datatype")
        case .other: self.init(name: n.name, path: n.path, kind: .other, type: "other object")
        case .unreadable(let reason): self.init(name: n.name, path: n.path, kind: .other, type: "unreadable: \(reason)")
        }
    }
}
