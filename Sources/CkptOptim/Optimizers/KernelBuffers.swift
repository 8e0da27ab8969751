import CkptCore

// MARK: - Float buffers inside state dicts

extension StateDict {
    /// Moves the float32 elements of tensor `key` out (the slot keeps its place in the key
    /// order), so a kernel can write them without a copy-on-write copy. Other dtypes are
    /// converted, as PyTorch casts state to the parameter's dtype.
    mutating func takeFloats(_ key: String) -> [Float]? {
        guard case .tensor(let t)? = self[key] else { return nil }
        self[key] = StateValue.none
        return t.floatArray()
    }

    mutating func putFloats(_ key: String, _ values: [Float], shape: [Int]) {
        self[key] = .tensor(TensorData(shape: shape, storage: .float32(values)))
    }

    /// The optimizer's `step` as a float (a 0-d tensor, or a number in old state dicts).
    func stepValue() -> Float {
        switch self["step"] {
        case .tensor(let t)?: return t.floatArray().first ?? 0
        case let v?: return Float(v.doubleValue ?? 0)
        case nil: return 0
        }
    }
}

extension TensorData {
    /// The elements as float32 (a no-copy share for float32 storage).
    func floatArray() -> [Float] {
        switch storage {
        case .float32(let a): return a
        case .float64(let a): return a.map { Float($0) }
        case .float16(let a): return a.map(halfToFloat)
        case .bfloat16(let a): return a.map { Float(bfloat16Bits: $0) }
        case .int64(let a): return a.map { Float($0) }
        case .int32(let a): return a.map { Float($0) }
        case .int16(let a): return a.map { Float($0) }
        case .int8(let a): return a.map { Float($0) }
        case .uint8(let a): return a.map { Float($0) }
        case .bool(let a): return a.map { $0 ? 1 : 0 }
        }
    }
}

/// IEEE binary16 bits to float (exact), without `Float16`, which Intel macOS lacks.
func halfToFloat(_ h: UInt16) -> Float {
    let sign: Float = (h & 0x8000) != 0 ? -1 : 1
    let exp = Int((h >> 10) & 0x1f), frac = Float(h & 0x3ff)
    switch exp {
    case 0: return sign * frac * 0x1p-24
    case 31: return frac == 0 ? sign * .infinity : .nan
    default: return sign * (1 + frac * 0x1p-10) * Float(sign: .plus, exponent: exp - 15, significand: 1)
    }
}

// MARK: - Kernel plumbing

/// Calls `body` with pointers to `p`'s values, the gradient and up to three state buffers
/// (nil for an empty buffer), all written in place without copies.
@inline(__always)
func withKernelPointers(
    _ p: Parameter, _ g: [Float], _ a: inout [Float], _ b: inout [Float], _ c: inout [Float],
    _ body: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>?,
             UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void
) {
    g.withUnsafeBufferPointer { gp in
        p.value.storage.withUnsafeMutableBufferPointer { pp in
            a.withUnsafeMutableBufferPointer { ap in
                b.withUnsafeMutableBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        body(pp.baseAddress!, gp.baseAddress!,
                             ap.isEmpty ? nil : ap.baseAddress, bp.isEmpty ? nil : bp.baseAddress,
                             cp.isEmpty ? nil : cp.baseAddress)
                    }
                }
            }
        }
    }
}
