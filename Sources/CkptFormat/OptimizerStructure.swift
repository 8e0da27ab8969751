import CkptCore

/// The optimizer section's structure as PyTorch's `Optimizer.state_dict()` lays it out, checked
/// in one place for `CheckpointFile.load` (which throws the first problem) and `ckpt verify`
/// (which lists them all):
/// - a string `type`; `state` a dict; `param_groups` a non-empty list of dicts;
/// - each group's `params` a list of ints, no index in two groups (PyTorch's `add_param_group`
///   refuses a parameter that is in another group); `param_names`, when present, a list of
///   strings, as many as `params`;
/// - every `state` key the decimal form of an index some group holds, its value a dict.
///
/// Empty `param_groups` is refused: PyTorch's `Optimizer.__init__` raises "optimizer got an
/// empty parameter list" for no groups, and `load_state_dict` requires the saved groups to match
/// the optimizer's in number, so a state dict without groups loads into no optimizer. A group
/// whose `params` is empty is accepted (PyTorch builds one).
///
/// What needs training knowledge (the optimizer registry, `param_names` against the model, state
/// shapes, indices numbered `0..<N`) is `CheckpointVerifier`'s, in `Ckpt`, using `slots`.
public struct OptimizerStructure: Sendable {
    /// Where a parameter index sits: its group, and its `param_names` entry when readable.
    public struct Slot: Sendable, Equatable {
        public var group: Int
        /// Its position in the group's `params` (and `param_names`).
        public var position: Int
        public var name: String?
    }

    /// Every problem, in the order of the section's keys: `type`, `param_groups`, `state`.
    public private(set) var problems: [VerifyProblem] = []
    /// Each parameter index the groups hold (the first group, for an index held twice).
    public private(set) var slots: [Int64: Slot] = [:]
    /// `param_groups`' entries (nil for one that is not a dict), when it is a non-empty list.
    public private(set) var groups: [StateDict?]?
    /// The optimizer's path in the file.
    public let section: String

    /// `section`: where the optimizer is in the file, "optimizer" or a second optimizer's
    /// "optimizers/1/optimizer"; problems name their paths under it.
    public init(_ optimizer: StateDict, section: String = "optimizer") {
        self.section = section
        switch optimizer["type"] {
        case .string?: break
        case nil: problems.append(VerifyProblem(path: section, message: "no type attribute", missing: "\(section)/type"))
        case let other?: problems.append(VerifyProblem(path: section, message: "type is a \(other.kindName), expected a string"))
        }
        readGroups(optimizer["param_groups"])
        readState(optimizer["state"])
    }

    private mutating func problem(_ path: String, _ message: String, missing: String? = nil) {
        problems.append(VerifyProblem(path: path, message: message, missing: missing))
    }

    private mutating func readGroups(_ value: StateValue?) {
        let path = "\(section)/param_groups"
        guard let value else { return problem(path, "missing", missing: path) }
        guard case .list(let list) = value else { return problem(path, "is a \(value.kindName), expected a list of groups") }
        guard !list.isEmpty else {
            return problem(path, "empty (PyTorch cannot build an optimizer without param groups)")
        }
        groups = list.map(\.dictValue)
        for (g, entry) in list.enumerated() {
            let path = "\(path)/\(g)"
            guard let group = entry.dictValue else {
                problem(path, "is a \(entry.kindName), expected a dict of hyperparameters")
                continue
            }
            guard let paramList = group["params"]?.arrayValue,
                  case let params = paramList.compactMap({ if case .int(let i) = $0 { i } else { nil } }),
                  params.count == paramList.count else {
                problem(path, "params is missing or not a list of ints", missing: group["params"] == nil ? path + "/params" : nil)
                continue
            }
            var names: [String]?
            if let value = group["param_names"] {
                let list = value.arrayValue ?? []
                names = list.compactMap(\.stringValue)
                if value.arrayValue == nil || names!.count != list.count {
                    problem(path, "param_names is not a list of strings")
                    names = nil
                } else if names!.count != params.count {
                    problem(path, "\(params.count) params but \(names!.count) param_names")
                }
            }
            for (k, index) in params.enumerated() {
                if let previous = slots[index] {
                    problem(path, "parameter index \(index) is also in param group \(previous.group)")
                    continue
                }
                slots[index] = Slot(group: g, position: k, name: names.flatMap { k < $0.count ? $0[k] : nil })
            }
        }
    }

    private mutating func readState(_ value: StateValue?) {
        let path = "\(section)/state"
        guard let value else { return problem(path, "missing (an empty dict when no step was taken)", missing: path) }
        guard let state = value.dictValue else { return problem(path, "is a \(value.kindName), expected a dict") }
        for (key, entry) in state {
            let path = "\(path)/\(key)"
            guard let index = Int64(key), String(index) == key, slots[index] != nil else {
                problem(path, "state for parameter \(key), which no param group holds (indices: \(slots.keys.sorted().map(String.init).joined(separator: ", ")))")
                continue
            }
            if entry.dictValue == nil { problem(path, "is a \(entry.kindName), expected a dict") }
        }
    }
}
