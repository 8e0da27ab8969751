import Testing
@testable import CkptCore

@Suite("Training")
struct TrainingTests {
    static func train(seed: UInt64, steps: Int, threads: Int, batch: Int = 8) throws -> (Sequential, [Float]) {
        let saved = Compute.threads
        Compute.threads = threads
        defer { Compute.threads = saved }
        let (data, _) = Synthetic.make(trainSize: steps * batch, testSize: 0, seed: seed)
        let model = LeNet(seed: seed)
        let sgd = TestSGD(model.parameters(), lr: 0.01, momentum: 0.9)
        var losses: [Float] = []
        for batch in Batches(data, batchSize: batch, shuffle: true, seed: seed, epoch: 0) {
            sgd.zeroGrad()
            losses.append(try model.forwardBackward(images: batch.images, labels: batch.labels))
            sgd.step()
        }
        return (model, losses)
    }

    // A batch of 20 is cut into chunks of 8, 8 and 4 samples: with 2 or 3 workers the chunks
    // run concurrently and in a different order than with 1, yet the bits must not change.
    @Test("same seed → bit-identical parameters and losses, with 1, 2 or 3 threads", arguments: [2, 3])
    func deterministic(threads: Int) throws {
        #expect(Compute.chunkCount(20) == 3)
        let (a, la) = try Self.train(seed: 5, steps: 6, threads: 1, batch: 20)
        let (b, lb) = try Self.train(seed: 5, steps: 6, threads: threads, batch: 20)
        let sameParams = a.stateDict().bitwiseEqual(b.stateDict())
        let sameLosses = la.map(\.bitPattern) == lb.map(\.bitPattern)
        #expect(sameParams)
        #expect(sameLosses)
    }

    @Test("LeNet learns the synthetic data: loss falls and test accuracy is well above chance")
    func learns() throws {
        let (train, test) = Synthetic.make(trainSize: 3000, testSize: 500, seed: 0)
        let model = LeNet(seed: 0)
        let sgd = TestSGD(model.parameters(), lr: 0.001, momentum: 0.9)
        var losses: [Float] = []
        for epoch in 0..<2 {
            for batch in Batches(train, batchSize: 4, shuffle: true, seed: 0, epoch: epoch) {
                sgd.zeroGrad()
                losses.append(try model.forwardBackward(images: batch.images, labels: batch.labels))
                sgd.step()
            }
        }
        let first = losses.prefix(100).reduce(0, +) / 100, last = losses.suffix(100).reduce(0, +) / 100
        #expect(last < 0.7 * first, "mean loss of the first 100 steps \(first), last 100 \(last)")
        let acc = try model.evaluate(test, batchSize: 100)
        #expect(acc.total == 500)
        #expect(acc.accuracy > 0.3, "test accuracy \(acc.accuracy)")
    }
}
