import Testing
@testable import CkptCore

/// Loss, logits and gradients against PyTorch's (fixtures/make_lenet_fixtures.py).
@Suite("PyTorch reference")
struct ReferenceTests {
    @Test("fixture present")
    func fixturePresent() {
        #expect(Fixture.arrays.count == 57, "\(Fixture.path) missing or incomplete")
    }

    func checkModel(_ model: Sequential, prefix: String, base: UInt64, images: Tensor, labels: [Int32]) throws {
        Fixture.setWeights(model, base: base)
        for p in model.parameters() {
            let check = try Fixture.array("\(prefix)/check/\(p.name)")
            #expect(Array(p.value.storage.prefix(check.count)) == check.storage, "weights of \(p.name) differ from the script's")
        }
        let logits = try model(images)
        #expect(relativeError(logits, try Fixture.array("\(prefix)/logits")) <= 1e-5)
        let loss = try model.forwardBackward(images: images, labels: labels)
        let ref = try Fixture.array("\(prefix)/loss").storage[0]
        #expect(abs(Double(loss - ref)) / Double(abs(ref)) <= 1e-5, "loss \(loss) vs PyTorch \(ref)")
        for p in model.parameters() {
            let g = try #require(p.grad, "no gradient for \(p.name)")
            let e = relativeError(g, try Fixture.array("\(prefix)/grad/\(p.name)"))
            #expect(e <= 1e-4, "gradient of \(p.name): relative error \(e)")
        }
    }

    @Test("LeNet: logits, loss and every gradient match PyTorch")
    func lenet() throws {
        let images = Tensor(shape: [4, 3, 32, 32], storage: Fixture.pixels(1, 4 * 3072))
        try checkModel(LeNet(seed: 0), prefix: "lenet", base: 1000, images: images, labels: [3, 7, 0, 9])
    }

    /// A batch of 20 is three chunks (8, 8, 4) whose conv weight gradients are summed chunk by
    /// chunk; run on 2 workers, the result must still be PyTorch's.
    @Test("LeNet on a batch of 20, on 2 threads: logits, loss and gradients match PyTorch")
    func lenetChunked() throws {
        let saved = Compute.threads
        Compute.threads = 2
        defer { Compute.threads = saved }
        let model = LeNet(seed: 0)
        Fixture.setWeights(model, base: 1000)
        let images = Tensor(shape: [20, 3, 32, 32], storage: Fixture.pixels(7, 20 * 3072))
        let labels = (0..<20).map { Int32((3 * $0 + 1) % 10) }
        #expect(relativeError(try model(images), try Fixture.array("lenet20/logits")) <= 1e-5)
        let loss = try model.forwardBackward(images: images, labels: labels)
        let ref = try Fixture.array("lenet20/loss").storage[0]
        #expect(abs(Double(loss - ref)) / Double(abs(ref)) <= 1e-5, "loss \(loss) vs PyTorch \(ref)")
        for p in model.parameters() where p.name != "fc1.weight" {
            let e = relativeError(try #require(p.grad), try Fixture.array("lenet20/grad/\(p.name)"))
            #expect(e <= 1e-4, "gradient of \(p.name): relative error \(e)")
        }
    }

    @Test("MLP: logits, loss and every gradient match PyTorch")
    func mlp() throws {
        let images = Tensor(shape: [6, 20], storage: Fixture.fill(2, 120, 1))
        try checkModel(try MLP(sizes: [20, 16, 12, 5], seed: 0), prefix: "mlp", base: 2000, images: images,
                       labels: [0, 4, 2, 1, 3, 4])
    }

    /// Conv2d(2, 3, 3, stride 2, padding 1) on `[batch, 2, 7, 7]` against the fixture under `prefix`.
    func checkConv(prefix: String, batch: Int, xKey: UInt64, gKey: UInt64) throws {
        var g = RandomGenerator(seed: 0)
        let conv = Conv2d(2, 3, kernelSize: 3, stride: 2, padding: 1, generator: &g)
        Fixture.setWeights(conv, base: 3000)
        let x = Tensor(shape: [batch, 2, 7, 7], storage: Fixture.fill(xKey, batch * 98, 1))
        let out = try conv.forward(x)
        #expect(relativeError(out, try Fixture.array("\(prefix)/output")) <= 1e-5)
        let gy = Tensor(shape: out.shape, storage: Fixture.fill(gKey, out.count, 1))
        let gx = try conv.backward(input: x, gradOutput: gy)
        #expect(relativeError(gx, try Fixture.array("\(prefix)/grad_input")) <= 1e-5)
        #expect(relativeError(try #require(conv.weight.grad), try Fixture.array("\(prefix)/grad/weight")) <= 1e-5)
        #expect(relativeError(try #require(conv.bias?.grad), try Fixture.array("\(prefix)/grad/bias")) <= 1e-5)
    }

    @Test("Conv2d with stride 2 and padding 1 matches PyTorch")
    func conv() throws {
        try checkConv(prefix: "conv", batch: 2, xKey: 3, gKey: 4)
    }

    @Test("Conv2d on a batch of 11 (two chunks), on 2 threads, matches PyTorch")
    func convChunked() throws {
        let saved = Compute.threads
        Compute.threads = 2
        defer { Compute.threads = saved }
        try checkConv(prefix: "conv11", batch: 11, xKey: 8, gKey: 9)
    }

    @Test("MaxPool2d with ties routes gradients as PyTorch")
    func pool() throws {
        let v = Fixture.fill(5, 216, 1).map { ($0 * 4).rounded(.toNearestOrEven) / 4 }
        let x = Tensor(shape: [2, 3, 6, 6], storage: v)
        let pool = MaxPool2d(2)
        let out = try pool.forward(x)
        #expect(out.storage == (try Fixture.array("pool/output")).storage)
        let gy = Tensor(shape: out.shape, storage: Fixture.fill(6, out.count, 1))
        let gx = try pool.backward(input: x, gradOutput: gy)
        #expect(gx.storage == (try Fixture.array("pool/grad_input")).storage)
    }

    /// PyTorch 2.15: max_pool2d([[nan, 1], [nan, 0]]) is nan with index 2 (the last NaN);
    /// [[2, nan], [5, nan]] gives index 3; [[1, 3], [3, 2]] gives index 1 (the first maximum).
    @Test("MaxPool2d NaN and tie rules", arguments: [
        ([Float.nan, 1, .nan, 0], 2), ([2, .nan, 5, .nan], 3), ([1, 3, 3, 2], 1),
    ])
    func poolNaN(values: [Float], index: Int) throws {
        for (kernel, size) in [(2, 2), (2, 3)] {  // the 2x2 fast path and the general path
            var v = [Float](repeating: -9, count: size * size)
            for (i, x) in values.enumerated() { v[(i / 2) * size + i % 2] = x }
            let pool = MaxPool2d(kernel, stride: kernel == 2 && size == 3 ? 1 : nil)
            let x = Tensor(shape: [1, 1, size, size], storage: v)
            let out = try pool.forward(x)
            #expect(out.storage[0].isNaN == values.contains { $0.isNaN })
            let gx = try pool.backward(input: x, gradOutput: Tensor(shape: out.shape, repeating: 1))
            #expect(gx.storage[(index / 2) * size + index % 2] >= 1)
        }
    }
}
