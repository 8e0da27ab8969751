/// An error from building, stepping or loading a learning-rate scheduler. `message` reads
/// like PyTorch's exception text where PyTorch raises one, and names the config key or
/// state-dict key otherwise.
public struct SchedulerError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension SchedulerError {
    /// `value` when it is positive. PyTorch accepts 0 for a period (`step_size`, `T_max`) and
    /// fails with ZeroDivisionError at the first step that divides by it; refusing it when the
    /// scheduler is built means no training runs before the error.
    static func positive(_ value: Int, _ name: String) throws -> Int {
        guard value > 0 else { throw SchedulerError("\(name) must be a positive integer, got \(value)") }
        return value
    }
}
