import CkptCore

/// PyTorch's float32 CPU pointwise primitives, rounded as its AVX2/AVX512 kernels round them
/// (docs: /work/shared/reference/pytorch-optim-semantics.md §2.0), for the optimizers written in
/// Swift rather than in CKernels. A Python float operand is rounded to float32 once by the caller.
enum TorchOps {
    /// `a*b + c` with one rounding (`x.add(y, alpha=a)` is `fma(y, a, x)`).
    @inline(__always) static func fma(_ a: Float, _ b: Float, _ c: Float) -> Float {
        c.addingProduct(a, b)
    }

    /// `s.lerp_(e, w)`: `fma(w, e-s, s)` when |w| < 0.5, else `fma(w-1, e-s, e)`.
    @inline(__always) static func lerp(_ s: Float, _ e: Float, _ w: Float) -> Float {
        w.magnitude < 0.5 ? fma(w, e - s, s) : fma(w - 1, e - s, e)
    }

    /// `s.addcmul_(t1, t2, value=v)`: `fma(v*t1, t2, s)`.
    @inline(__always) static func addcmul(_ s: Float, _ t1: Float, _ t2: Float, _ v: Float) -> Float {
        fma(v * t1, t2, s)
    }

    /// `s.addcdiv_(t1, t2, value=v)`: `s + (v*t1)/t2`, no fma.
    @inline(__always) static func addcdiv(_ s: Float, _ t1: Float, _ t2: Float, _ v: Float) -> Float {
        s + (v * t1) / t2
    }

    /// `torch.maximum`: NaN if either side is NaN.
    @inline(__always) static func maximum(_ a: Float, _ b: Float) -> Float {
        a.isNaN || b.isNaN ? .nan : (a > b ? a : b)
    }

    /// `torch.clamp(x, lo, hi)`: NaN stays NaN.
    @inline(__always) static func clamp(_ x: Float, _ lo: Float, _ hi: Float) -> Float {
        x.isNaN ? x : Swift.min(Swift.max(x, lo), hi)
    }

    /// `torch.sign`: -1, 0 or 1 (0 keeps its sign bit as PyTorch's does not matter: callers
    /// only multiply by it), NaN for NaN.
    @inline(__always) static func sign(_ x: Float) -> Float {
        x > 0 ? 1 : (x < 0 ? -1 : (x.isNaN ? x : 0))
    }
}
