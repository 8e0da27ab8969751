/// Anything with trainable parameters, as `torch.nn.Module`: parameters in
/// `named_parameters()` order with PyTorch's dotted names, and the model state dict.
public protocol Module: AnyObject {
    /// The parameters in PyTorch's `named_parameters()` order; `Parameter.name` is the key.
    func parameters() -> [Parameter]
}

extension Module {
    /// `model.state_dict()`: parameter name → float32 tensor, in parameter order. The tensors
    /// share the parameters' buffers (copy-on-write), so this copies nothing and later
    /// optimizer steps do not change the returned dict.
    public func stateDict() -> StateDict {
        StateDict(parameters().map { ($0.name, StateValue.tensor(TensorData($0.value))) })
    }

    /// `model.load_state_dict(stateDict, strict)`.
    ///
    /// As PyTorch: with `strict` (the default) any missing or unexpected key is an error;
    /// otherwise they are returned. A shape mismatch is an error either way, naming the key and
    /// both shapes. float64, float16 and bfloat16 tensors are converted to float32 (PyTorch's `copy_`
    /// casts); integer, bool and non-tensor values are errors naming the key.
    /// Unlike PyTorch, nothing is changed when an error is thrown: every entry is checked first.
    @discardableResult
    public func loadStateDict(_ stateDict: StateDict, strict: Bool = true) throws -> (missing: [String], unexpected: [String]) {
        let params = parameters()
        let names = Set(params.map(\.name))
        let missing = params.map(\.name).filter { stateDict[$0] == nil }
        let unexpected = stateDict.keys.filter { !names.contains($0) }
        var values: [(Parameter, [Float])] = []
        for p in params {
            guard let v = stateDict[p.name] else { continue }
            guard let t = v.tensorValue else { throw ModelError.wrongType(key: p.name, found: v.kindName) }
            guard t.shape == p.shape else {
                throw ModelError.shapeMismatch(key: p.name, checkpoint: t.shape, model: p.shape)
            }
            switch t.storage {
            case .float32(let a): values.append((p, a))
            case .float64(let a): values.append((p, a.map { Float($0) }))
            case .float16(let a): values.append((p, a.map { Self.halfToFloat($0) }))
            case .bfloat16(let a): values.append((p, a.map { Float(bfloat16Bits: $0) }))
            default: throw ModelError.wrongType(key: p.name, found: "tensor(\(t.dtype.rawValue), \(t.shape))")
            }
        }
        if strict && !(missing.isEmpty && unexpected.isEmpty) {
            throw ModelError.keyMismatch(missing: missing, unexpected: unexpected)
        }
        for (p, a) in values { p.value = Tensor(shape: p.shape, storage: a) }
        return (missing, unexpected)
    }

    /// Number of trainable scalars (PyTorch: `sum(p.numel() for p in model.parameters())`).
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.value.count } }

    /// IEEE binary16 → float32, exact (no Float16 type needed, so it builds everywhere).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exp = Int((h >> 10) & 0x1F), frac = UInt32(h & 0x3FF)
        if exp == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (frac << 13)) }
        if exp == 0 {
            let v = Float(frac) * 0x1p-24
            return sign != 0 ? -v : v
        }
        return Float(bitPattern: sign | (UInt32(exp + 112) << 23) | (frac << 13))
    }
}
