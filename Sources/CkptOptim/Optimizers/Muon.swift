import CKernels
import Dispatch
import CkptCore

/// `torch.optim.Muon` (torch 2.15): momentum, then the Newton-Schulz orthogonalized update,
/// decoupled weight decay, `adjust_lr_fn` ("original", "match_rms_adamw", "spectral_unclamped").
/// Only 2-D parameters, as PyTorch (the constructor refuses others with PyTorch's message);
/// no `maximize` key (PyTorch has none).
///
/// Follows PyTorch's CPU single-tensor path: `buf.lerp_(g, 1-momentum)`, the update
/// `g.lerp(buf, momentum)` (Nesterov) or `buf`; Newton-Schulz in bfloat16 as PyTorch runs it
/// (the matrix rounded to bfloat16, transposed when taller than wide, divided by its norm
/// clamped at eps, then `ns_steps` of `A = X Xᵀ; B = b A + c A A; X = a X + B X`, each result
/// rounded to bfloat16 from a float32 sum); `p.mul_(1 - lr*wd)`; `p.add_(update, alpha=-adjusted_lr)`.
/// Not bit-identical: PyTorch's bfloat16 matrix products sum in an order of their own, and
/// one bfloat16 ulp (2⁻⁸ relative) is the resolution of the update. Tests bound the
/// difference by a fraction of the step size.
/// State per parameter with a gradient, created on its first step: `momentum_buffer`.
public final class Muon: TorchOptimizer {
    override public class var optimizerName: String { "Muon" }
    override public class var defaultOptions: StateDict {
        ["lr": 1e-3, "weight_decay": 0.1, "momentum": 0.95, "nesterov": true,
         "ns_coefficients": .tuple([3.4445, -4.775, 2.0315]), "eps": 1e-7, "ns_steps": 5,
         "adjust_lr_fn": nil]
    }
    static let adjustments = ["original", "match_rms_adamw", "spectral_unclamped"]

    /// `Muon(params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True, ns_steps=5,
    /// adjust_lr_fn=None)`.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, weightDecay: Double? = nil, momentum: Double? = nil,
        nesterov: Bool? = nil, nsSteps: Int? = nil, adjustLRFn: String? = nil
    ) throws {
        try self.init(params, ["lr": .number(lr), "weight_decay": .number(weightDecay), "momentum": .number(momentum),
                               "nesterov": .flag(nesterov), "ns_steps": .integer(nsSteps),
                               "adjust_lr_fn": adjustLRFn.map(StateValue.string)])
    }

    public required init(groups: [ParamGroup], options: StateDict = [:]) throws {
        try super.init(groups: groups, options: options)
        for group in paramGroups {
            for p in group.params where p.shape.count != 2 {
                throw OptimizerError(.invalidValue,
                    "Muon only supports 2D parameters whereas we found a parameter with size: torch.Size([\(p.shape.map(String.init).joined(separator: ", "))]) ('\(p.name)')")
            }
        }
    }

    /// PyTorch's checks, with its messages.
    override class func checkOptions(_ o: StateDict) throws {
        for (key, message) in [("lr", "Learning rate should be >= 0 but is: "),
                               ("momentum", "momentum should be >= 0 but is: "),
                               ("weight_decay", "weight decay should be >= 0 but is: ")] {
            if let v = o[key], let d = v.doubleValue, !(d >= 0) {
                throw OptimizerError(.invalidValue, message + pyRepr(v), key: key)
            }
        }
        switch o["adjust_lr_fn"] {
        case nil, .none?: break
        case .string(let s)? where adjustments.contains(s): break
        case let v?:
            let shown = v.stringValue ?? pyRepr(v)
            throw OptimizerError(.invalidValue, "Adjust learning rate function \(shown) is not supported", key: "adjust_lr_fn")
        }
        if let c = o["ns_coefficients"]?.arrayValue, c.count != 3 {
            throw OptimizerError(.invalidValue, "Coefficients must be a tuple of exactly 3 values", key: "ns_coefficients")
        }
        if let n = o["ns_steps"]?.doubleValue, n >= 100 {
            throw OptimizerError(.invalidValue, "Number of steps must be less than 100 for computational efficiency", key: "ns_steps")
        }
    }

    override public func step() throws {
        for group in paramGroups {
            let lr = try number(group, "lr"), wd = try number(group, "weight_decay")
            let momentum = try number(group, "momentum"), nesterov = try flag(group, "nesterov")
            let eps = try number(group, "eps"), nsSteps = Int(try number(group, "ns_steps"))
            guard let coefficients = group["ns_coefficients"]?.arrayValue?.compactMap(\.doubleValue),
                  coefficients.count == 3 else {
                throw OptimizerError(.invalidType, "Muon: param group 'ns_coefficients' must be 3 numbers")
            }
            let adjust = group["adjust_lr_fn"]?.stringValue
            for p in group.params where p.grad != nil && p.shape.count != 2 {
                throw OptimizerError(.invalidValue, "Param gradient must be a 2D matrix ('\(p.name)' has shape \(p.shape))")
            }
            try forEachParameter(in: group, initial: { _ in [:] }, buffers: ["momentum_buffer"],
                                 zeroFilled: ["momentum_buffer"]) { p, grad, s in
                let n = grad.count
                var buf = s.takeFloats("momentum_buffer")!
                let w = Float(1 - momentum), m = Float(momentum), flag: Int32 = portableKernels ? 1 : 0
                // TorchOps.lerp's rounding (torch.lerp on CPU), in ckpt_avg_lerp's FMA loop.
                ckpt_avg_lerp(&buf, grad, n, w, flag)                     // buf.lerp_(g, 1 - momentum)
                var update = nesterov ? grad : buf
                if nesterov { ckpt_avg_lerp(&update, buf, n, m, flag) }   // g.lerp(buf, momentum)
                s.putFloats("momentum_buffer", buf, shape: p.shape)
                let ortho = NewtonSchulz.orthogonalize(update, rows: p.shape[0], cols: p.shape[1],
                                                       coefficients: coefficients, steps: nsSteps, eps: eps,
                                                       portable: portableKernels, threads: threads ?? Compute.threads)
                let adjusted = lr * Self.adjustedRatio(adjust, rows: p.shape[0], cols: p.shape[1])
                let decay = Float(1 - lr * wd), scale = Float(-adjusted)
                p.value.storage.withUnsafeMutableBufferPointer { x in   // x = fma(ortho, scale, x * decay)
                    ckpt_muon_fma_scaled(ortho, x.baseAddress, x.baseAddress, n, scale, decay, 0, flag)
                }
            }
        }
        try super.step()
    }

    /// PyTorch's `_adjust_lr` ratio for a parameter of shape [A, B].
    static func adjustedRatio(_ fn: String?, rows a: Int, cols b: Int) -> Double {
        let a = Double(a), b = Double(b)
        switch fn {
        case nil, "original"?: return (Swift.max(1, a / b)).squareRoot()
        case "match_rms_adamw"?: return 0.2 * Swift.max(a, b).squareRoot()
        case "spectral_unclamped"?: return (a / b).squareRoot()
        default: return 1.0
        }
    }
}

/// Muon's Newton-Schulz iteration in bfloat16, as `_zeropower_via_newtonschulz` runs it.
enum NewtonSchulz {
    /// float32 to bfloat16 and back, rounding to nearest even (c10::BFloat16).
    @inline(__always) static func bf16(_ x: Float) -> Float {
        if x.isNaN { return x }
        let b = x.bitPattern
        return Float(bitPattern: (b &+ 0x7FFF &+ ((b >> 16) & 1)) & 0xFFFF_0000)
    }

    /// `ckpt_matmul_ordered` (C[m, n] = A[m, k] · B[k, n]) with C's rows split over up to
    /// `threads` workers: each row is computed as one call computes it, so the bits do not
    /// depend on the thread count.
    static func matmul(_ a: [Float], _ b: [Float], _ c: inout [Float], _ m: Int, _ n: Int, _ k: Int,
                       _ portable: Int32, _ threads: Int) {
        let workers = Swift.max(1, Swift.min(threads, m))
        if workers == 1 {   // no dispatch (its workers spin in sched_yield)
            ckpt_matmul_ordered(a, b, &c, m, n, k, portable)
            return
        }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    let (ra, rb, rc) = (pa.baseAddress!, pb.baseAddress!, pc.baseAddress!)
                    DispatchQueue.concurrentPerform(iterations: workers) { w in
                        let r0 = m * w / workers, r1 = m * (w + 1) / workers
                        if r1 > r0 { ckpt_matmul_ordered(ra + r0 * k, rb, rc + r0 * n, r1 - r0, n, k, portable) }
                    }
                }
            }
        }
    }

    /// C[m, m] = A[m, k] · B[k, m] for the two products of the iteration that are symmetric
    /// bit for bit: X Xᵀ (C[i, j] and C[j, i] run the same fmaf chain, the factors of each
    /// term swapped, and fmaf is commutative), and G G for a bitwise symmetric G (the same
    /// argument once G[j, kk] = G[kk, j]). Each 32-row block is computed from its diagonal
    /// rightwards (`ckpt_matmul_ordered_strided`), about half the work, then the lower
    /// triangle is copied from the upper. Blocks go to up to `threads` workers in snake order
    /// (0, 1, ..., w-1, w-1, ..., 0, ...) to even out their triangular costs; each element is
    /// computed whole by one call, so the bits do not depend on the thread count.
    /// B holds the same values as A (Xᵀ or G itself), so one ckpt_matmul_bf16_exact over A
    /// stands for the kernel's per-call check of both.
    static func symmetricMatmul(_ a: [Float], _ b: [Float], _ c: inout [Float], _ m: Int, _ k: Int,
                                _ portable: Int32, _ threads: Int) {
        let block = 32, blocks = (m + block - 1) / block
        let workers = Swift.max(1, Swift.min(threads, blocks))
        let checked = portable == 0 && ckpt_matmul_bf16_exact(a, m * k) != 0
        let flags = portable != 0 ? Int32(CKPT_MATMUL_PORTABLE) : checked ? Int32(CKPT_MATMUL_BF16_CHECKED) : 0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    let (ra, rb, rc) = (pa.baseAddress!, pb.baseAddress!, pc.baseAddress!)
                    let work = { (w: Int) in
                        for t in 0..<blocks {
                            let lane = t % workers, owner = (t / workers) % 2 == 0 ? lane : workers - 1 - lane
                            guard owner == w else { continue }
                            let r0 = t * block, r1 = Swift.min(m, r0 + block)
                            ckpt_matmul_ordered_strided(ra + r0 * k, k, rb + r0, m, rc + r0 * m + r0, m,
                                                        r1 - r0, m - r0, k, flags)
                        }
                    }
                    if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
                    for i0 in stride(from: 0, to: m, by: block) {   // in tiles: a column walk misses cache
                        for j0 in stride(from: i0, to: m, by: block) {
                            for i in i0..<Swift.min(i0 + block, m) {
                                for j in Swift.max(j0, i + 1)..<Swift.max(Swift.min(j0 + block, m), i + 1) {
                                    rc[j * m + i] = rc[i * m + j]
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `g` ([rows, cols], row-major) orthogonalized; the result in [rows, cols], each element
    /// a bfloat16 value.
    static func orthogonalize(_ g: [Float], rows: Int, cols: Int, coefficients c: [Double], steps: Int, eps: Double,
                              portable: Bool = false, threads: Int = 1) -> [Float] {
        let transposed = rows > cols
        let m = transposed ? cols : rows, n = transposed ? rows : cols
        var x = transposed ? transpose(g, rows, cols) : g
        ckpt_muon_div_bf16(&x, m * n, 1)
        let p: Int32 = portable ? 1 : 0
        let sum = ckpt_muon_sum_squares(x, m * n, p)   // one fmaf chain, as TorchOps.fma in order
        let norm = Swift.max(bf16(sum.squareRoot()), bf16(Float(eps)))
        ckpt_muon_div_bf16(&x, m * n, norm)
        let a = Float(c[0]), b = Float(c[1]), cc = Float(c[2])
        var gram = [Float](repeating: 0, count: m * m), upd = [Float](repeating: 0, count: m * m)
        var acc = [Float](repeating: 0, count: m * n)
        // Each product element is one fmaf chain in ascending k (`ckpt_matmul_ordered`), then
        // rounded to bfloat16, as PyTorch's bfloat16 matmul rounds its float32 sums.
        for _ in 0..<steps {
            symmetricMatmul(x, transpose(x, m, n), &gram, m, n, p, threads)   // gram = X Xᵀ
            ckpt_muon_div_bf16(&gram, m * m, 1)
            symmetricMatmul(gram, gram, &acc, m, m, p, threads)               // gram gram
            ckpt_muon_fma_scaled(acc, gram, &upd, m * m, cc, b, 1, p)   // b*gram + c*(gram gram)
            matmul(upd, x, &acc, m, n, m, p, threads)                   // upd X
            x.withUnsafeMutableBufferPointer { px in                    // X = a*X + upd X
                ckpt_muon_fma_scaled(px.baseAddress, acc, px.baseAddress, m * n, a, 1, 1, p)
            }
        }
        return transposed ? transpose(x, m, n) : x
    }

    /// The [cols, rows] transpose of a row-major [rows, cols] matrix (ckpt_muon_transpose).
    static func transpose(_ x: [Float], _ rows: Int, _ cols: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: rows * cols) { out, count in
            ckpt_muon_transpose(x, out.baseAddress!, rows, cols)
            count = rows * cols
        }
    }
}
