/// A Python number as a hyperparameter holds it: PyTorch saves `min_lr=0` as the int 0 and
/// `eta_min=0.0` as a float, so a state dict keeps the kind it was given. Arithmetic always
/// uses `value` (Python converts an int operand to float exactly, for the sizes used here).
public struct PyNumber: Equatable, Sendable {
    public var stateValue: StateValue
    public init(_ d: Double) { stateValue = .double(d) }
    public init(int i: Int64) { stateValue = .int(i) }
    /// `.int` or `.double` (a bool is not a number here).
    public init?(_ v: StateValue) {
        switch v {
        case .int, .double: stateValue = v
        default: return nil
        }
    }
    public var value: Double { stateValue.doubleValue ?? .nan }
}
