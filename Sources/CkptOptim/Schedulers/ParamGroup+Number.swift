import CkptCore

extension ParamGroup {
    /// `group[key]` as a double, for the keys OneCycleLR and CyclicLR add.
    func number(_ key: String) throws -> Double {
        guard let v = self[key] else { throw SchedulerError("KeyError: '\(key)' (param group has no '\(key)')") }
        guard let d = v.doubleValue else { throw SchedulerError("param group '\(key)': expected a number, found \(v.kindName)") }
        return d
    }
}
