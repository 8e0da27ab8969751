/// The element types a state-dict tensor can hold, named as PyTorch names them
/// (`torch.float32` → `.float32`). The raw value is the name used in the format and the CLI.
public enum DType: String, Sendable, CaseIterable, Codable {
    case float32, float64, float16, int64, int32, uint8, bool

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .float16: 2
        case .uint8, .bool: 1
        }
    }

    public var isFloatingPoint: Bool { self == .float32 || self == .float64 || self == .float16 }
}
