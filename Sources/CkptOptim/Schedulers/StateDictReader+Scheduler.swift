import CkptCore

extension StateDictReader {
    /// A reader of a saved scheduler state dict, after checking that its `"type"` (when present)
    /// is `expectedType`; errors name `path/<key>`.
    static func scheduler(_ state: StateDict, expectedType: String, path: String = "scheduler") throws -> StateDictReader {
        let r = StateDictReader(state, path: path, separator: "/")
        if let t = try r.string("type"), t != expectedType {
            throw SchedulerError("\(r.key("type")): the state is for \(t), but the scheduler is \(expectedType)")
        }
        return r
    }
}
