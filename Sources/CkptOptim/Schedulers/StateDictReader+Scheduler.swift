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

    /// A period saved by StepLR / CosineAnnealingLR: a positive int that fits PyTorch's int32
    /// arithmetic, as `SchedulerError.positive` requires when building.
    func period(_ key: String) throws -> Int? {
        try int(key, in: 1...Int64(Int32.max), expected: "a positive int")
    }
}
