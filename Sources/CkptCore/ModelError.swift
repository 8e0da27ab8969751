/// Errors of the training core: wrong shapes, labels, state dicts and data files, each naming
/// the key, file or layer and both sides of a mismatch.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    /// A state-dict entry's shape differs from the parameter's (PyTorch: "size mismatch for ...").
    case shapeMismatch(key: String, checkpoint: [Int], model: [Int])
    /// A state-dict entry cannot become a float32 parameter (integer / bool tensor, or not a tensor).
    case wrongType(key: String, found: String)
    /// `strict` loading found missing or unexpected keys.
    case keyMismatch(missing: [String], unexpected: [String])
    /// An input tensor's shape does not fit a layer.
    case badInput(String)
    /// A label outside `0..<classes`.
    case badLabel(index: Int, label: Int32, classes: Int)
    /// A state (RNG, config) that cannot be used.
    case invalidState(String)
    /// A data file or folder that cannot be read.
    case data(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let k, let c, let m):
            "size mismatch for \(k): copying a param with shape \(c) from checkpoint, the shape in current model is \(m)"
        case .wrongType(let k, let f):
            "cannot load \(k): expected a floating-point tensor, found \(f)"
        case .keyMismatch(let missing, let unexpected):
            "error(s) in loading state_dict: "
                + [missing.isEmpty ? nil : "missing key(s): \(missing.joined(separator: ", "))",
                   unexpected.isEmpty ? nil : "unexpected key(s): \(unexpected.joined(separator: ", "))"]
                .compactMap { $0 }.joined(separator: "; ")
        case .badInput(let s): s
        case .badLabel(let i, let l, let c): "label \(l) of sample \(i) is outside 0..<\(c)"
        case .invalidState(let s): s
        case .data(let s): s
        }
    }
}
