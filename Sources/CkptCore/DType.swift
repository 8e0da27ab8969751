/// The element types a state-dict tensor can hold, named as PyTorch names them
/// (`torch.float32` → `.float32`). The raw value is the name used in the format and the CLI.
///
/// `bfloat16` is PyTorch's brain float (1 sign, 8 exponent, 7 mantissa bits: the upper half
/// of a float32), held as its bit patterns. PyTorch dtypes not listed here (uint16/32/64,
/// complex, float8, quantized) are refused by the readers with the tensor and dtype named.
public enum DType: String, Sendable, CaseIterable, Codable {
    case float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .float16, .bfloat16, .int16: 2
        case .int8, .uint8, .bool: 1
        }
    }

    /// "float32, float64, ... and bool": every dtype, for messages refusing another.
    public static var supportedList: String {
        allCases.dropLast().map(\.rawValue).joined(separator: ", ") + " and " + allCases.last!.rawValue
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float64, .float16, .bfloat16: true
        case .int64, .int32, .int16, .int8, .uint8, .bool: false
        }
    }
}

extension Float {
    /// The float32 a bfloat16 bit pattern stands for (exact: bfloat16 is float32's upper half).
    @inlinable public init(bfloat16Bits bits: UInt16) { self.init(bitPattern: UInt32(bits) << 16) }

    /// This value rounded to bfloat16, nearest even, as `c10::BFloat16`'s constructor does
    /// (NaN stays a quiet NaN).
    @inlinable public var bfloat16Bits: UInt16 {
        if isNaN { return 0x7fc0 | UInt16(truncatingIfNeeded: bitPattern >> 16) & 0x8000 }
        let b = bitPattern
        return UInt16(truncatingIfNeeded: (b &+ 0x7fff &+ ((b >> 16) & 1)) >> 16)
    }
}
