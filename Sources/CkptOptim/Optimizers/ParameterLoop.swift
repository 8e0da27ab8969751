import CKernels
import CkptCore

/// Pointers to one `KernelSplit` chunk of a parameter, its gradient and up to three state
/// buffers (nil where the kernel takes fewer), all offset to the chunk's first element.
struct KernelChunk {
    let x: UnsafeMutablePointer<Float>
    let g: UnsafePointer<Float>
    let a, b, c: UnsafeMutablePointer<Float>?
    let count: Int
}

/// The per-parameter loop every optimizer's `step()` runs, as PyTorch's `_init_group` and
/// single-tensor loop do: parameters without a gradient are skipped, state is created on the
/// first step, and a loaded state dict whose buffers do not fit the parameter is an error
/// that leaves the state as it was.
extension Optimizer {
    /// Calls `body(p, grad, &state)` for each parameter of `group` with a gradient. The state
    /// is `p`'s (moved out, so kernels write its buffers without copies) or `initial(p)` on
    /// its first step; keys of `zeroFilled` it lacks are added as zeros (a flag turned on
    /// after a state dict was saved); then it must hold each of `buffers` with the
    /// parameter's element count. The state goes back after `body`, also when it throws.
    func forEachParameter(
        in group: ParamGroup, initial: (Parameter) -> StateDict, buffers: [String] = [],
        zeroFilled: [String] = [], _ body: (Parameter, [Float], inout StateDict) throws -> Void
    ) throws {
        for p in group.params {
            guard let g = try checkedGrad(p) else { continue }
            var s = takeState(p) ?? initial(p)
            for key in zeroFilled where s[key] == nil { s[key] = Self.zerosState(p) }
            try requireBuffers(s, buffers, count: g.count, for: p)
            do { try body(p, g, &s) } catch {
                putState(s, for: p)
                throw error
            }
            putState(s, for: p)
        }
    }

    /// Runs an element-wise kernel over `p`, its gradient `g` and the state tensors `keys`
    /// (at most three, in the kernel's argument order, each already checked to have `g.count`
    /// elements; an empty key leaves its slot nil), in place, in `KernelSplit` chunks on up to `threads` threads: any cut gives
    /// the bits of one thread because element i depends on element i only.
    func runKernel(_ p: Parameter, _ g: [Float], _ s: inout StateDict, _ keys: [String],
                   _ kernel: (KernelChunk) -> Void) {
        precondition(keys.count <= 3, "a kernel takes at most three state buffers")
        let n = g.count
        func take(_ k: Int) -> [Float] {
            k < keys.count && !keys[k].isEmpty ? (s.takeFloats(keys[k]) ?? [Float](repeating: 0, count: n)) : []
        }
        var a = take(0), b = take(1), c = take(2)
        withKernelPointers(p, g, &a, &b, &c) { x, gp, ap, bp, cp in
            forEachKernelChunk(n) { i, count in
                kernel(KernelChunk(x: x + i, g: gp + i, a: ap.map { $0 + i }, b: bp.map { $0 + i },
                                   c: cp.map { $0 + i }, count: count))
            }
        }
        for (key, values) in zip(keys, [a, b, c]) where !key.isEmpty { s.putFloats(key, values, shape: p.shape) }
    }

    /// What the Adam family's steps (Adam, AdamW, Adamax, NAdam, RAdam) read from a group:
    /// `lr`, `eps`, `weight_decay`, `betas` and the kernel flags.
    func adamHyperparameters(_ group: ParamGroup) throws
        -> (lr: Double, eps: Double, wd: Double, beta1: Double, beta2: Double, flags: Int32)
    {
        let lr = try number(group, "lr"), eps = try number(group, "eps"), wd = try number(group, "weight_decay")
        let (beta1, beta2) = try pair(group, "betas")
        return (lr, eps, wd, beta1, beta2, try kernelFlags(group, weightDecay: wd))
    }

    /// The kernel flags every step reads the same way: `maximize`, weight decay when `wd`
    /// is not 0, `decoupled_weight_decay` (false where the class has no such key).
    func kernelFlags(_ group: ParamGroup, weightDecay wd: Double = 0) throws -> Int32 {
        var flags = baseKernelFlags
        if try flag(group, "maximize") { flags |= Int32(CKPT_OPT_MAXIMIZE) }
        if wd != 0 { flags |= Int32(CKPT_OPT_WEIGHT_DECAY) }
        if try flag(group, "decoupled_weight_decay") { flags |= Int32(CKPT_OPT_DECOUPLED) }
        return flags
    }
}

extension StateDict {
    /// PyTorch's `state["step"] += 1` on a 0-d float32 tensor: the new step, stored.
    mutating func incrementStep() -> Float {
        let step = stepValue() + 1
        self["step"] = .tensor(.scalar(step))
        return step
    }
}
