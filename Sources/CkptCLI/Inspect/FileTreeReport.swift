import CkptCore
import CkptFormat

/// The generic view of any HDF5 file (h5py's, Keras', anyone's): every group and dataset in
/// order with its shape, type and attributes, like `h5ls -r -v`, with small attribute values.
struct FileTreeReport {
    var file: String
    var root: FileTreeNode

    /// Attribute values longer than this many characters are shown by type only.
    static let maxValueLength = 80

    func json() -> StateValue {
        .dict(["file": .string(file), "kind": "hdf5", "root": nodeJSON(root)])
    }

    private func nodeJSON(_ n: FileTreeNode) -> StateValue {
        var d: StateDict = ["path": .string(n.path), "kind": .string(n.kind.rawValue)]
        if let shape = n.shape { d["shape"] = shape.shapeJSON }
        if let type = n.type { d["type"] = .string(type) }
        if let storage = n.storage { d["storage"] = .string(Self.describe(storage)) }
        var attrs = StateDict()
        for a in n.attributes { attrs[a.name] = a.value?.jsonSummary ?? .dict(["type": .string(a.type)]) }
        d["attributes"] = .dict(attrs)
        if n.kind == .group { d["children"] = .list(n.children.map(nodeJSON)) }
        return .dict(d)
    }

    func lines() -> [String] {
        var out: [String] = []
        var nodes: [FileTreeNode] = []
        collect(root, into: &nodes)
        let width = min(48, (nodes.map(\.path.count).max() ?? 0) + 2)
        for n in nodes {
            var line = n.path.padded(width)
            switch n.kind {
            case .group: line += "Group"
            case .dataset:
                let shape = n.shape.map { $0.isEmpty ? "scalar" : "{" + $0.map(String.init).joined(separator: ", ") + "}" } ?? "null"
                line += "Dataset \(shape)  \(n.type ?? "?")"
                if let storage = n.storage { line += "  (\(Self.describe(storage)))" }
            case .other: line += n.type ?? "?"
            }
            out.append(line)
            for a in n.attributes {
                var text = a.value.map(Format.value)
                if let t = text, t.count > Self.maxValueLength { text = nil }
                out.append("    Attribute: \(a.name)  \(text ?? "(\(a.type))")")
            }
        }
        return out
    }

    /// As `h5ls -v` words it: "contiguous, 1.2 KiB, 1 filter".
    static func describe(_ s: FileTreeNode.Storage) -> String {
        "\(s.layout), \(Format.bytes(s.bytes))" + (s.filterCount > 0 ? ", \(Format.count(s.filterCount, "filter"))" : "")
    }

    private func collect(_ n: FileTreeNode, into nodes: inout [FileTreeNode]) {
        nodes.append(n)
        for c in n.children { collect(c, into: &nodes) }
    }
}
