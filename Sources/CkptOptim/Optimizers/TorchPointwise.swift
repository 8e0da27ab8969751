import CkptCore

/// PyTorch's float32 CPU pointwise primitives, rounded as its AVX2/AVX512 kernels round them,
/// for the optimizers whose steps are Swift rather than CKernels (Adafactor, Muon). A Python
/// float operand is rounded to float32 once by the caller. `addingProduct` is a libm `fmaf`
/// call here (the module does not target FMA), so these are correct but not fast.
enum TorchOps {
    /// `a*b + c` with one rounding (`x.add(y, alpha=a)` is `fma(y, a, x)`).
    @inline(__always) static func fma(_ a: Float, _ b: Float, _ c: Float) -> Float {
        c.addingProduct(a, b)
    }

    /// `s.lerp_(e, w)`: `fma(w, e-s, s)` when |w| < 0.5, else `fma(w-1, e-s, e)`.
    @inline(__always) static func lerp(_ s: Float, _ e: Float, _ w: Float) -> Float {
        w.magnitude < 0.5 ? fma(w, e - s, s) : fma(w - 1, e - s, e)
    }
}
