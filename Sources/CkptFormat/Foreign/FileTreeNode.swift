import CkptCore

/// One object of an HDF5 file as the generic `ckpt inspect` shows it (like `h5ls -r -v`): a
/// group with children, or a dataset with its shape, element type and storage; both with
/// attributes. `FileTreeNode.list` builds the tree of a file; the value holds no HDF5 types,
/// so the CLI and tests use it without the HDF5 module.
public struct FileTreeNode: Sendable, Equatable {
    /// `other`: a link or an object that is neither; `type` says what.
    public enum Kind: String, Sendable { case group, dataset, other }

    /// How a dataset's bytes are stored, as `h5ls -v` reports it.
    public struct Storage: Sendable, Equatable {
        /// "contiguous", "chunked", "compact", "virtual".
        public var layout: String
        /// Bytes allocated in the file.
        public var bytes: Int
        /// Filters in the pipeline (compression, Fletcher32, ...).
        public var filterCount: Int

        public init(layout: String, bytes: Int, filterCount: Int) {
            self.layout = layout
            self.bytes = bytes
            self.filterCount = filterCount
        }
    }

    /// The last path component (`""` for the root).
    public var name: String
    /// The absolute path inside the file (`/`, `/model/conv1.weight`).
    public var path: String
    public var kind: Kind
    /// Dataset shape (`[]` for a scalar dataset); `nil` for groups.
    public var shape: [Int]?
    /// Dataset element type as text (`float32`, `int64`, `string`, `compound`, ...).
    public var type: String?
    /// Dataset storage; `nil` for groups and links.
    public var storage: Storage?
    /// Attributes in creation order; a value is `nil` when it is too large or has no
    /// `StateValue` form (`AttributeDecoder`), and `type` then says what it is and why.
    public var attributes: [(name: String, value: StateValue?, type: String)]
    public var children: [FileTreeNode]

    public init(name: String, path: String, kind: Kind, shape: [Int]? = nil, type: String? = nil,
                attributes: [(name: String, value: StateValue?, type: String)] = [], children: [FileTreeNode] = []) {
        self.name = name
        self.path = path
        self.kind = kind
        self.shape = shape
        self.type = type
        self.attributes = attributes
        self.children = children
    }

    public static func == (l: Self, r: Self) -> Bool {
        l.name == r.name && l.path == r.path && l.kind == r.kind && l.shape == r.shape && l.type == r.type && l.storage == r.storage
            && l.children == r.children && l.attributes.count == r.attributes.count
            && zip(l.attributes, r.attributes).allSatisfy { $0.name == $1.name && $0.value == $1.value && $0.type == $1.type }
    }

    /// The node at `path` (absolute or relative to this node), or `nil`.
    public func find(_ path: String) -> FileTreeNode? {
        let parts = path.split(separator: "/").map(String.init)
        var node = self
        for part in parts {
            guard let next = node.children.first(where: { $0.name == part }) else { return nil }
            node = next
        }
        return node
    }
}
