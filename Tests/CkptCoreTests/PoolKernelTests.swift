import Testing
@testable import CkptCore

/// MaxPool2d(2)'s vector kernel against the rules written out plainly: the first maximum in
/// window order wins ties, a NaN wins over numbers and a later NaN over an earlier one.
/// 20x21 planes give 10 outputs per row (two overlapping 8-wide blocks) and an odd width.
@Suite("MaxPool2d 2x2 kernel")
struct PoolKernelTests {
    static func reference(_ x: [Float], planes: Int, h: Int, w: Int) -> (values: [Float], index: [Int]) {
        var values: [Float] = [], index: [Int] = []
        for p in 0..<planes {
            for y in 0..<(h / 2) {
                for t in 0..<(w / 2) {
                    let at = [2 * y * w + 2 * t, 2 * y * w + 2 * t + 1, (2 * y + 1) * w + 2 * t, (2 * y + 1) * w + 2 * t + 1]
                    var best = at[0]
                    for i in at.dropFirst() where x[p * h * w + i] > x[p * h * w + best] || x[p * h * w + i].isNaN { best = i }
                    values.append(x[p * h * w + best])
                    index.append(best)
                }
            }
        }
        return (values, index)
    }

    @Test("ties and NaNs: values, and gradients routed to the winning position", arguments: [false, true])
    func matchesTheRules(withNaN: Bool) throws {
        let (n, c, h, w) = (2, 3, 20, 21)
        var r = RandomGenerator(seed: 11)
        // Values on a coarse grid so that many windows hold ties.
        var x = (0..<(n * c * h * w)).map { _ in Float(r.nextInt(below: 4)) - 1.5 }
        if withNaN { for i in stride(from: 5, to: x.count, by: 37) { x[i] = .nan } }
        let pool = MaxPool2d(2)
        let input = Tensor(shape: [n, c, h, w], storage: x)
        let out = try pool.forward(input)
        let ref = Self.reference(x, planes: n * c, h: h, w: w)
        try #require(out.count == ref.values.count)
        let wrongValue = ref.values.indices.first { out.storage[$0].bitPattern != ref.values[$0].bitPattern }
        #expect(wrongValue == nil, "first wrong output at \(wrongValue ?? -1)")
        // Backward with dL/dy = output index + 1: each input receives exactly its window's value.
        let gy = Tensor(shape: out.shape, storage: (0..<out.count).map { Float($0 + 1) })
        let gx = try pool.backward(input: input, gradOutput: gy)
        var expected = [Float](repeating: 0, count: x.count)
        let perPlane = (h / 2) * (w / 2)
        for (o, i) in ref.index.enumerated() { expected[(o / perPlane) * h * w + i] += Float(o + 1) }
        let wrongGrad = expected.indices.first { gx.storage[$0] != expected[$0] }
        #expect(wrongGrad == nil, "first wrong input gradient at \(wrongGrad ?? -1)")
    }
}
