import Testing
@testable import CkptCore

/// Finite-difference checks of every layer's backward on small shapes: for
/// L(x, θ) = Σ out·G (accumulated in float64), the analytic dL/dx and dL/dθ must match
/// central differences (float32 forward, step 1e-2 on smooth layers).
@Suite("Finite-difference gradients")
struct GradientCheckTests {
    static func objective(_ layer: Layer, _ x: Tensor, _ g: [Float]) throws -> Double {
        let y = try layer.forward(x)
        return zip(y.storage, g).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Max relative difference between analytic and numeric gradients over inputs and parameters.
    static func check(_ layer: Layer, input: Tensor, seed: UInt64 = 7, eps: Float = 1e-2) throws -> Double {
        var r = RandomGenerator(seed: seed)
        let outShape = try layer.outputShape(for: input.shape)
        let g = (0..<outShape.reduce(1, *)).map { _ in r.uniform(-1, 1) }
        for p in layer.parameters() { p.grad = nil }
        let gx = try layer.backward(input: input, gradOutput: Tensor(shape: outShape, storage: g))
        var worst = 0.0
        func compare(_ analytic: Float, _ numeric: Double) {
            let d = abs(Double(analytic) - numeric) / max(1e-2, abs(numeric))
            worst = max(worst, d)
        }
        var x = input
        for i in 0..<x.count {
            let v = x.storage[i]
            x.storage[i] = v + eps
            let up = try objective(layer, x, g)
            x.storage[i] = v - eps
            let down = try objective(layer, x, g)
            x.storage[i] = v
            compare(gx.storage[i], (up - down) / Double(2 * eps))
        }
        for p in layer.parameters() {
            let analytic = try #require(p.grad)
            for i in 0..<p.value.count {
                let v = p.value.storage[i]
                p.value.storage[i] = v + eps
                let up = try objective(layer, input, g)
                p.value.storage[i] = v - eps
                let down = try objective(layer, input, g)
                p.value.storage[i] = v
                compare(analytic.storage[i], (up - down) / Double(2 * eps))
            }
        }
        return worst
    }

    static func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var r = RandomGenerator(seed: seed)
        return Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in r.uniform(-1, 1) })
    }

    @Test("Conv2d", arguments: [(1, 0), (1, 1), (2, 1), (2, 0)])
    func conv(stride: Int, padding: Int) throws {
        var g = RandomGenerator(seed: 1)
        let conv = Conv2d(2, 3, kernelSize: 3, stride: stride, padding: padding, generator: &g)
        #expect(try Self.check(conv, input: Self.random([2, 2, 6, 5], seed: 2)) < 2e-3)
    }

    @Test("Linear")
    func linear() throws {
        var g = RandomGenerator(seed: 1)
        #expect(try Self.check(Linear(5, 4, generator: &g), input: Self.random([3, 5], seed: 3)) < 2e-3)
    }

    @Test("MaxPool2d (distinct values, so the arg-max is stable under the step)", arguments: [(2, 2), (3, 2)])
    func pool(kernel: Int, stride: Int) throws {
        let n = 2 * 2 * 7 * 7
        var r = RandomGenerator(seed: 4)
        let values = r.permutation(n).map { Float($0) * 0.1 }
        let x = Tensor(shape: [2, 2, 7, 7], storage: values)
        #expect(try Self.check(MaxPool2d(kernel, stride: stride), input: x, eps: 1e-2) < 1e-3)
    }

    @Test("ReLU (inputs away from the kink)")
    func relu() throws {
        var x = Self.random([3, 7], seed: 5)
        x.storage = x.storage.map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 }
        #expect(try Self.check(ReLU(), input: x) < 1e-3)
    }

    @Test("Flatten")
    func flatten() throws {
        #expect(try Self.check(Flatten(), input: Self.random([2, 3, 2, 2], seed: 6)) < 1e-3)
    }

    @Test("Sequential of conv, relu, pool, flatten, linear")
    func sequential() throws {
        var g = RandomGenerator(seed: 9)
        let net = Sequential([
            Conv2d(1, 2, kernelSize: 3, padding: 1, generator: &g), ReLU(), MaxPool2d(2), Flatten(),
            Linear(2 * 3 * 3, 4, generator: &g),
        ])
        #expect(net.parameters().map(\.name) == ["0.weight", "0.bias", "4.weight", "4.bias"])
        #expect(try Self.check(net, input: Self.random([2, 1, 6, 6], seed: 10), eps: 1e-3) < 5e-3)
    }

    @Test("CrossEntropyLoss gradient against central differences in float64")
    func crossEntropy() throws {
        let logits = Self.random([3, 5], seed: 11)
        let labels: [Int32] = [4, 0, 2]
        let (loss, grad) = try CrossEntropyLoss()(logits, labels)
        // float64 reference loss
        func ref(_ x: [Float]) -> Double {
            var total = 0.0
            for r in 0..<3 {
                let row = x[(r * 5)..<(r * 5 + 5)].map(Double.init)
                let m = row.max()!
                let lse = m + log(row.map { exp($0 - m) }.reduce(0, +))
                total += lse - row[Int(labels[r])]
            }
            return total / 3
        }
        #expect(abs(Double(loss) - ref(logits.storage)) < 1e-6)
        for i in 0..<logits.count {
            var up = logits.storage, down = logits.storage
            up[i] += 1e-2
            down[i] -= 1e-2
            let numeric = (ref(up) - ref(down)) / 2e-2
            #expect(abs(Double(grad.storage[i]) - numeric) < 1e-4)
        }
    }

    @Test("CrossEntropyLoss is stable for huge logits")
    func stable() throws {
        let (loss, grad) = try CrossEntropyLoss()(Tensor(shape: [1, 3], storage: [1000, 0, -1000]), [1])
        #expect(abs(loss - 1000) < 1e-3)
        #expect(grad.storage.allSatisfy { $0.isFinite })
    }
}

import Foundation
