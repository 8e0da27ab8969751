import Foundation

/// `torch.nn.CrossEntropyLoss()` with mean reduction: the mean over the batch of
/// `-log_softmax(logits)[label]`, with the log-softmax computed stably as
/// `x - max - log(sum(exp(x - max)))` in float32 (as PyTorch's CPU kernel does).
///
/// Shapes: logits `[N, C]`, labels `N` values in `0..<C`. The gradient is
/// `(softmax(logits) - onehot(label)) / N`.
public struct CrossEntropyLoss: Sendable {
    public init() {}

    /// The loss, and (when `gradLogits` is non-nil) dL/dlogits written to it.
    /// Labels must already be validated to lie in `0..<classes`.
    public static func compute(
        logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch n: Int, classes c: Int,
        gradLogits: UnsafeMutablePointer<Float>?
    ) -> Float {
        var total: Float = 0
        let scale = 1 / Float(n)
        for r in 0..<n {
            let x = logits + r * c
            var m = x[0]
            for j in 1..<max(c, 1) where x[j] > m || x[j].isNaN { m = x[j] }
            var sum: Float = 0
            for j in 0..<c { sum += expf(x[j] - m) }
            let logSum = logf(sum)
            let label = Int(labels[r])
            total += -(x[label] - m - logSum)
            if let g = gradLogits {
                let gr = g + r * c
                for j in 0..<c { gr[j] = expf(x[j] - m - logSum) * scale }
                gr[label] -= scale
            }
        }
        return total / Float(n)
    }

    /// Tensor form: `logits` `[N, C]`, `labels` `[N]`. Throws on a shape or label mismatch.
    public func callAsFunction(_ logits: Tensor, _ labels: [Int32]) throws -> (loss: Float, gradLogits: Tensor) {
        guard logits.shape.count == 2, logits.shape[0] == labels.count else {
            throw ModelError.badInput("CrossEntropyLoss: logits \(shapeString(logits.shape)) vs \(labels.count) labels")
        }
        let c = logits.shape[1]
        for (i, l) in labels.enumerated() where l < 0 || Int(l) >= c { throw ModelError.badLabel(index: i, label: l, classes: c) }
        var grad = Tensor(shape: logits.shape)
        let loss = Self.compute(logits: logits, labels: labels, classes: c, grad: &grad)
        return (loss, grad)
    }

    private static func compute(logits: Tensor, labels: [Int32], classes c: Int, grad: inout Tensor) -> Float {
        logits.storage.withUnsafeBufferPointer { x in
            labels.withUnsafeBufferPointer { y in
                grad.storage.withUnsafeMutableBufferPointer { g in
                    compute(logits: x.baseAddress!, labels: y.baseAddress!, batch: labels.count, classes: c,
                            gradLogits: g.baseAddress!)
                }
            }
        }
    }
}
