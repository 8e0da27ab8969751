import CkptCore

/// Puts flattened DCP items back at their nested key paths (`planner_data`), in save order.
///
/// A container whose keys are ints becomes a list when they run 0, 1, ... n-1 in order
/// (`param_groups`), as DCP's `set_element` makes it, except under a key `state`, which
/// stays a dict with int keys (an optimizer's per-parameter state, as `state_dict()` has it).
struct DCPNestedBuilder {
    private final class Node {
        var keys: [DCPMetadata.PathKey] = []
        var children: [Node?] = []
        var leaves: [StateValue?] = []
    }

    private let root = Node()

    mutating func set(_ path: [DCPMetadata.PathKey], _ value: StateValue, file: String, fqn: String) throws {
        var node = root
        for (i, key) in path.enumerated() {
            let last = i == path.count - 1
            if let at = node.keys.firstIndex(of: key) {
                if last || node.children[at] == nil {
                    throw CheckpointError.malformed(file: file, path: fqn, reason: "planner_data places two items at the same key path")
                }
                node = node.children[at]!
            } else {
                node.keys.append(key)
                if last {
                    node.children.append(nil)
                    node.leaves.append(value)
                } else {
                    let child = Node()
                    node.children.append(child)
                    node.leaves.append(nil)
                    node = child
                }
            }
        }
    }

    func value() -> StateValue { Self.value(root, under: nil) }

    private static func value(_ node: Node, under parent: DCPMetadata.PathKey?) -> StateValue {
        let items: [StateValue] = node.keys.indices.map { i in
            node.leaves[i] ?? value(node.children[i]!, under: node.keys[i])
        }
        let ints = node.keys.compactMap { if case .int(let k) = $0 { k } else { nil } }
        if !node.keys.isEmpty, ints.count == node.keys.count {
            if parent != .string("state"), ints == Array(0..<Int64(ints.count)) { return .list(items) }
            return .dict(StateDict(intKeys: Array(zip(ints, items))))
        }
        var d = StateDict()
        for (k, v) in zip(node.keys, items) {
            switch k {
            case .string(let s): d[s] = v
            case .int(let i): d[String(i)] = v
            }
        }
        return .dict(d)
    }
}
