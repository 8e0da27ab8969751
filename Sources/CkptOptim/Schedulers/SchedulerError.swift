/// An error from building, stepping or loading a learning-rate scheduler. `message` reads
/// like PyTorch's exception text where PyTorch raises one, and names the config key or
/// state-dict key otherwise.
public struct SchedulerError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
