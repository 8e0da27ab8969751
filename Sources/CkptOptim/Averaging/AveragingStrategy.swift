import CKernels
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

    /// Averages `model` into `avg` after `nAveraged` models (`nAveraged > 0`), in `KernelSplit`
    /// chunks of `chunk` elements on up to `threads` threads: the bits of one thread.
    func update(_ avg: inout [Float], _ model: [Float], nAveraged: Int64, threads: Int = 1,
                chunk: Int = KernelSplit.chunkElements, portable: Bool = false) {
        precondition(avg.count == model.count)
        let flag: Int32 = portable ? 1 : 0
        avg.withUnsafeMutableBufferPointer { a in
            model.withUnsafeBufferPointer { m in
                guard let a0 = a.baseAddress, let m0 = m.baseAddress else { return }
                switch self {
                case .swa:
                    let count = Float(nAveraged + 1)
                    KernelSplit.forEachChunk(a.count, threads: threads, chunk: chunk) { i, c in
                        ckpt_avg_swa(a0 + i, m0 + i, c, count, flag)
                    }
                case .ema(let decay):
                    let w = Float(1 - decay)
                    KernelSplit.forEachChunk(a.count, threads: threads, chunk: chunk) { i, c in
                        ckpt_avg_lerp(a0 + i, m0 + i, c, w, flag)
                    }
                }
            }
        }
    }
}

/// An error of weight averaging, with PyTorch's words where PyTorch has them.
public struct AveragingError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
