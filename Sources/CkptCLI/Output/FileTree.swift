import CkptCore

/// One object of an HDF5 file as the generic `inspect` shows it (like `h5ls -r -v`): a group
/// with children, or a dataset with its shape and element type; both with attributes.
public struct FileTreeNode: Sendable, Equatable {
    /// `other`: a link or an object that is neither; `type` says what.
    public enum Kind: String, Sendable { case group, dataset, other }

    /// The last path component (`""` for the root).
    public var name: String
    /// The absolute path inside the file (`/`, `/model/conv1.weight`).
    public var path: String
    public var kind: Kind
    /// Dataset shape (`[]` for a scalar dataset); `nil` for groups.
    public var shape: [Int]?
    /// Dataset element type as text (`float32`, `int64`, `string`, `compound`, ...).
    public var type: String?
    /// Dataset storage as `h5ls -v` reports it: layout, bytes in the file, filters.
    public var storage: String?
    /// Attributes in creation order; a value is `nil` when it is too large or of a type that has
    /// no `StateValue` form, and `attributeTypes` then says what it is.
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
