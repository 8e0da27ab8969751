import CHDF5

/// A read-only outline of any HDF5 file: groups, datasets (shape, type, layout, size) and
/// attributes (with values when small), for `ckpt inspect` of files ckpt did not write.
///
/// The walk is bounded (depth, node count, attribute bytes) and never follows soft or
/// external links; a group reached twice through hard links is listed once, later
/// occurrences point at the first path. `truncated` says whether a limit cut the walk short.
public struct HDF5Tree: Sendable, Equatable {
    public var file: String
    public var root: Node
    public var truncated: Bool

    public struct Node: Sendable, Equatable {
        /// Link name ("conv1.weight"); "/" for the root.
        public var name: String
        /// Full path ("/model/conv1.weight").
        public var path: String
        public var kind: Kind
        /// In creation order when tracked, else name order.
        public var attributes: [Attribute]
        /// Why the attributes could not be listed (too many without a name index, a damaged
        /// header), if they could not; `attributes` is then empty.
        public var attributesError: String? = nil
        /// Children of a group, in creation order when tracked, else name order.
        public var children: [Node]
    }

    public enum Kind: Sendable, Equatable {
        case group
        case dataset(DatasetInfo)
        case softLink(target: String)
        case externalLink(target: String)
        /// A hard link to a group already listed at `path` (cycles and shared groups).
        case alreadyListed(path: String)
        case namedDatatype
        case other
        /// The object could not be read; the walk went on.
        case unreadable(reason: String)
    }

    public struct DatasetInfo: Sendable, Equatable {
        /// `nil` for a null dataspace; `[]` for a scalar.
        public var shape: [Int]?
        /// "float32", "bool", "string", "compound", ...
        public var type: String
        /// Set when the element type is one this module reads.
        public var elementType: HDF5ElementType?
        public var layout: HDF5Layout
        /// Bytes allocated in the file.
        public var storageBytes: Int
        /// Filters in the pipeline (compression, Fletcher32, ...).
        public var filterCount: Int
    }

    public struct Attribute: Sendable, Equatable {
        public var info: HDF5AttributeInfo
        /// The value when its size is within the walk's `maxAttributeBytes`.
        public var value: HDF5AttributeValue?
        /// Why the attribute could not be read, if it could not.
        public var error: String?
    }

    /// Walks the file at `path`. Throws only when the file cannot be opened at all.
    public static func read(
        _ path: String, maxDepth: Int = 32, maxNodes: Int = 100_000, maxAttributeBytes: Int = 4096
    ) throws -> HDF5Tree {
        let file = try HDF5File.open(path)
        defer { try? file.close() }
        var walker = Walker(maxDepth: maxDepth, maxNodes: maxNodes, maxAttributeBytes: maxAttributeBytes)
        let root = try file.root()
        let node = walker.group(root, name: "/", depth: 0)
        return HDF5Tree(file: path, root: node, truncated: walker.truncated)
    }

    private struct Walker {
        let maxDepth: Int
        let maxNodes: Int
        let maxAttributeBytes: Int
        var nodes = 0
        var truncated = false
        var seen: [Int64: String] = [:]

        /// The attributes of `obj`, or why they could not be listed.
        mutating func attributes(_ obj: HDF5Object) -> (list: [Attribute], error: String?) {
            let names: [String]
            do { names = try obj.attributeNames() } catch let e as HDF5Error { return ([], e.reason) } catch {
                return ([], "\(error)")
            }
            var out: [Attribute] = []
            for name in names {
                if nodes >= maxNodes { truncated = true; break }
                nodes += 1
                do {
                    let info = try obj.attributeInfo(name)
                    var value: HDF5AttributeValue?
                    var err: String?
                    if info.byteCount <= maxAttributeBytes {
                        do { value = try obj.readAttribute(name) } catch let e as HDF5Error { err = e.reason } catch {}
                    }
                    out.append(Attribute(info: info, value: value, error: err))
                } catch let e as HDF5Error {
                    out.append(Attribute(info: HDF5AttributeInfo(name: name, type: "?", shape: nil, byteCount: 0),
                                         value: nil, error: e.reason))
                } catch {}
            }
            return (out, nil)
        }

        mutating func group(_ g: HDF5Group, name: String, depth: Int) -> Node {
            let (list, error) = attributes(g)
            var node = Node(name: name, path: g.path, kind: .group, attributes: list, attributesError: error, children: [])
            guard depth < maxDepth else { truncated = true; return node }
            let names: [String]
            do { names = try g.childNames() } catch let e as HDF5Error {
                node.kind = .unreadable(reason: e.reason)
                return node
            } catch { return node }
            for child in names {
                if nodes >= maxNodes { truncated = true; break }
                nodes += 1
                node.children.append(self.child(child, of: g, depth: depth))
            }
            return node
        }

        mutating func child(_ name: String, of g: HDF5Group, depth: Int) -> Node {
            let path = g.path == "/" ? "/" + name : g.path + "/" + name
            var node = Node(name: name, path: path, kind: .other, attributes: [], children: [])
            do {
                switch try g.childKind(name) {
                case .group:
                    let addr = ckpt_object_address(g.handle.id, name)
                    if addr >= 0, let first = seen[addr] {
                        node.kind = .alreadyListed(path: first)
                        return node
                    }
                    if addr >= 0 { seen[addr] = path }
                    return group(try g.openGroup(name), name: name, depth: depth + 1)
                case .dataset:
                    let d = try g.openDataset(name)
                    (node.attributes, node.attributesError) = attributes(d)
                    node.kind = .dataset(DatasetInfo(
                        shape: try d.shape(), type: try d.typeDescription(), elementType: try d.elementType(),
                        layout: try d.layout(), storageBytes: d.storageSize(), filterCount: try d.filterCount()))
                case .softLink(let t): node.kind = .softLink(target: t)
                case .externalLink(let t): node.kind = .externalLink(target: t)
                case .namedDatatype: node.kind = .namedDatatype
                case .other: node.kind = .other
                }
            } catch let e as HDF5Error {
                node.kind = .unreadable(reason: e.reason)
            } catch {
                node.kind = .unreadable(reason: "\(error)")
            }
            return node
        }
    }
}
