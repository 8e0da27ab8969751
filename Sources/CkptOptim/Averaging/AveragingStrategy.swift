import CkptCore

/// How an `AveragedModel` averages, as PyTorch's two built-in multi-tensor functions.
///
/// - `swa`: AveragedModel's default on CPU. Its foreach path (`get_swa_multi_avg_fn`) is only
///   for CUDA / XPU devices, so on CPU it is `get_swa_avg_fn()`:
///   `avg + (model - avg) / (n_averaged + 1)`, the int64 count promoted to float32: a float32
///   subtraction, division and addition, each rounded (no fused multiply-add).
/// - `ema(decay:)`: `get_ema_multi_avg_fn(decay)`: `_foreach_lerp_(ema, model, 1 - decay)`,
///   the weight computed in double (Python) and rounded to float32 by the kernel.
public enum AveragingStrategy: Equatable, Sendable {
    case swa
    case ema(decay: Double)

    /// PyTorch's check in `get_ema_multi_avg_fn`.
    public static func ema(checkedDecay decay: Double) throws -> AveragingStrategy {
        guard decay >= 0 && decay <= 1 else {
            throw AveragingError("Invalid decay value \(decay) provided. Please provide a value in [0,1] range.")
        }
        return .ema(decay: decay)
    }

    /// Averages `model` into `avg` after `nAveraged` models (`nAveraged > 0`).
    func update(_ avg: inout [Float], _ model: [Float], nAveraged: Int64) {
        switch self {
        case .swa: AveragingKernel.swa(&avg, model, Float(nAveraged + 1))
        case .ema(let decay): AveragingKernel.lerp(&avg, model, Float(1 - decay))
        }
    }
}

/// An error of weight averaging, with PyTorch's words where PyTorch has them.
public struct AveragingError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The float32 arithmetic of PyTorch's CPU kernels for the two averages, in place.
enum AveragingKernel {
    /// `avg + (model - avg) / count`.
    static func swa(_ avg: inout [Float], _ model: [Float], _ count: Float) {
        precondition(avg.count == model.count)
        avg.withUnsafeMutableBufferPointer { a in
            model.withUnsafeBufferPointer { m in
                for i in 0..<a.count { a[i] = a[i] + (m[i] - a[i]) / count }
            }
        }
    }

    /// `avg.lerp_(model, w)`.
    static func lerp(_ avg: inout [Float], _ model: [Float], _ w: Float) {
        precondition(avg.count == model.count)
        avg.withUnsafeMutableBufferPointer { a in
            model.withUnsafeBufferPointer { m in
                for i in 0..<a.count { a[i] = TorchOps.lerp(a[i], m[i], w) }
            }
        }
    }
}
