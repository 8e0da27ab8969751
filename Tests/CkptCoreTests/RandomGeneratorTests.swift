import Testing
@testable import CkptCore

@Suite("RandomGenerator")
struct RandomGeneratorTests {
    /// Reference outputs of the published C code (xoshiro256starstar.c with s = {1, 2, 3, 4}).
    @Test("xoshiro256** matches the reference implementation")
    func reference() throws {
        var g = try RandomGenerator(stateDict: [
            "algorithm": "xoshiro256**",
            "state": .tensor(TensorData(shape: [4], storage: .int64([1, 2, 3, 4]))),
        ])
        #expect([g.next(), g.next(), g.next(), g.next()] == [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
    }

    /// SplitMix64's published first outputs for seed 1234567 seed the four state words.
    @Test("seeding uses SplitMix64")
    func splitMix() {
        let g = RandomGenerator(seed: 1_234_567)
        #expect(g.state.0 == 6_457_827_717_110_365_317)
        #expect(g.state.1 == 3_203_168_211_198_807_973)
        #expect(g.state.2 == 9_817_491_932_198_370_423)
        #expect(g.state.3 == 4_593_380_528_125_082_431)
    }

    @Test("state dict round trip continues the same stream")
    func roundTrip() throws {
        var a = RandomGenerator(seed: 42)
        for _ in 0..<5 { _ = a.next() }
        var b = try RandomGenerator(stateDict: a.stateDict())
        #expect((0..<10).map { _ in a.next() } == (0..<10).map { _ in b.next() })
    }

    @Test("bad state dicts are errors")
    func badState() {
        #expect(throws: ModelError.self) { try RandomGenerator(stateDict: ["algorithm": "mt19937"]) }
        #expect(throws: ModelError.self) {
            try RandomGenerator(stateDict: ["algorithm": "xoshiro256**", "state": .tensor(TensorData(shape: [4], storage: .int64([0, 0, 0, 0])))])
        }
        #expect(throws: ModelError.self) { try RandomGenerator(stateDict: ["algorithm": "xoshiro256**", "state": 3]) }
    }

    @Test("bounded integers and permutations are in range and uniform-ish")
    func ranges() {
        var g = RandomGenerator(seed: 1)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[g.nextInt(below: 7)] += 1 }
        #expect(counts.allSatisfy { abs($0 - 10_000) < 500 })
        let p = g.permutation(1000)
        #expect(p.sorted() == Array(0..<1000) && p != Array(0..<1000))
        let u = (0..<10_000).map { _ in g.uniform(-0.5, 0.5) }
        #expect(u.allSatisfy { $0 >= -0.5 && $0 < 0.5 })
    }

    @Test("streams differ from each other and from the plain seed")
    func streams() {
        var a = RandomGenerator(seed: 7, stream: .shuffle, index: 0)
        var b = RandomGenerator(seed: 7, stream: .shuffle, index: 1)
        var c = RandomGenerator(seed: 7, stream: .initialisation)
        var d = RandomGenerator(seed: 7)
        let xs = [a.next(), b.next(), c.next(), d.next()]
        #expect(Set(xs).count == 4)
    }
}
