import Ckpt
import Testing

@Suite("ShardPlan (ZeRO-1 ownership)")
struct ShardPlanTests {
    // LeNet's parameter sizes in model order (conv1.w, conv1.b, conv2.w, conv2.b, fc1..fc3 w, b).
    static let lenet = [450, 6, 2400, 16, 48000, 120, 10080, 84, 840, 10]

    @Test("one rank owns everything")
    func single() {
        let p = ShardPlan(sizes: Self.lenet, ranks: 1)
        #expect(p.owner == [Int](repeating: 0, count: Self.lenet.count))
        #expect(p.load == [Self.lenet.reduce(0, +)])
    }

    @Test("every tensor has exactly one owner and the loads add up", arguments: [2, 3, 4, 8, 16])
    func partition(ranks: Int) {
        let p = ShardPlan(sizes: Self.lenet, ranks: ranks)
        #expect(p.load.count == ranks)
        #expect(p.load.reduce(0, +) == Self.lenet.reduce(0, +))
        let owned = (0..<ranks).flatMap { p.owned(by: $0) }.sorted()
        #expect(owned == Array(Self.lenet.indices))
        #expect(p == ShardPlan(sizes: Self.lenet, ranks: ranks))  // a pure function
    }

    @Test("equal tensors spread evenly; the greedy order is size, then model order")
    func balance() {
        let mlp = [Int](repeating: 1 << 20, count: 6)
        #expect(ShardPlan(sizes: mlp, ranks: 3).load == [2 << 20, 2 << 20, 2 << 20])
        #expect(ShardPlan(sizes: mlp, ranks: 3).owner == [0, 1, 2, 0, 1, 2])
        // Largest first to the emptiest rank: 8 -> r0, 5 -> r1, 4 -> r1 (5 < 8), 3 -> r0 (8 < 9).
        let p = ShardPlan(sizes: [3, 8, 4, 5], ranks: 2)
        #expect(p.owner == [0, 0, 1, 1])
        #expect(p.load == [11, 9])
    }
}
