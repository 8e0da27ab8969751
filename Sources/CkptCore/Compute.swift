import CBLAS

/// Threading of the training core, and the rule that keeps it deterministic.
///
/// Determinism rule: the same seed gives bit-identical parameters after every step whatever
/// thread count a user asks for, because every sum is computed in an order that depends only
/// on the shapes. OpenBLAS's threaded sgemm does NOT guarantee that (measured here: LeNet's
/// parameters differ after a few steps with 1 vs 2 OpenBLAS threads), so the training core pins
/// OpenBLAS to one thread the first time a layer is built, and `threads` is the number of
/// workers ckpt itself may use over independent samples (currently all work runs on the
/// calling thread; the value is accepted so configs and the CLI keep a stable knob).
public enum Compute {
    nonisolated(unsafe) private static var requested = 1

    /// Requested worker count (≥ 1). Setting it never changes results.
    public static var threads: Int {
        get { requested }
        set {
            requested = Swift.max(1, newValue)
            pinBLAS()
        }
    }

    private static let pinned: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    /// Pins OpenBLAS to one thread (idempotent, cheap).
    @inline(__always)
    static func pinBLAS() { _ = pinned }
}
