import CkptCore
import Foundation

/// The one bounds check for the numbers of a run config and the command-line options that
/// replace them, applied before any work starts: ranges each value must lie in, and sizes that
/// must fit in this machine's memory (named with the bytes they would need), so a typo is
/// exit status 2 with a message, never an overflow trap or a failed allocation an epoch later.
extension RunConfig {
    /// Most epochs a run may ask for: far beyond any real run, small enough that step counts
    /// (epochs x batches) cannot overflow.
    public static let maxEpochs = 1_000_000

    /// Physical memory of this machine in bytes (0 when unknown: no memory bound applied).
    public static var physicalMemory: Int {
        Int(clamping: ProcessInfo.processInfo.physicalMemory)
    }

    /// Checks every bound; `memory` is the budget in bytes (0: unbounded).
    /// Throws `StateDictError` naming the key (`epochs`, `model.sizes`, `data.train_size`).
    public func checkBounds(memory: Int = RunConfig.physicalMemory) throws {
        guard (1...Self.maxEpochs).contains(epochs) else {
            throw StateDictError(key: "epochs", message: "expected 1...\(Self.maxEpochs), found \(epochs)")
        }
        if model.type == .mlp {
            var parameters = 0
            for (i, o) in zip(model.sizes, model.sizes.dropFirst()) {
                parameters = Self.saturatingAdd(parameters, Self.saturatingAdd(Self.saturatingMultiply(i, o), o))
            }
            // float32 weights, gradients, two optimizer state tensors (Adam) and a copy for a save.
            let bytes = Self.saturatingMultiply(parameters, 4 * 5)
            if memory > 0, bytes > memory {
                throw StateDictError(key: "model.sizes", message:
                    "\(parameters) parameters would need about \(Self.describe(bytes)) (weights, gradients, optimizer state), this machine has \(Self.describe(memory))")
            }
        }
        if data.dataset == .synthetic {
            // float32 images of 3x32x32 and their labels.
            let samples = Self.saturatingAdd(data.trainSize, data.testSize)
            let bytes = Self.saturatingMultiply(samples, 3072 * 4 + 8)
            if memory > 0, bytes > memory / 2 {
                let key = data.trainSize >= data.testSize ? "data.train_size" : "data.test_size"
                throw StateDictError(key: key, message:
                    "\(samples) synthetic images would need \(Self.describe(bytes)), more than half of this machine's \(Self.describe(memory))")
            }
        }
    }

    static func saturatingAdd(_ a: Int, _ b: Int) -> Int {
        let (r, o) = a.addingReportingOverflow(b)
        return o ? Int.max : r
    }

    static func saturatingMultiply(_ a: Int, _ b: Int) -> Int {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        return o ? Int.max : r
    }

    static func describe(_ bytes: Int) -> String {
        let gib = Double(bytes) / Double(1 << 30)
        if gib >= 1024 * 1024 { return "more than 1 PiB" }
        return gib >= 1 ? "\(Int(gib.rounded())) GiB" : "\(max(1, Int((Double(bytes) / Double(1 << 20)).rounded()))) MiB"
    }
}
