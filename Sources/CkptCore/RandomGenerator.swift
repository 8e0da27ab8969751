import Foundation

/// A seeded, portable pseudo-random generator: xoshiro256** (Blackman & Vigna), seeded through
/// SplitMix64, so the same seed gives the same stream on every platform and Swift version.
///
/// ckpt uses it for parameter initialisation, the synthetic dataset and the shuffle order. Its
/// whole state is four 64-bit words, exported by `stateDict()` as
/// `["algorithm": "xoshiro256**", "state": int64 tensor [4]]` for a checkpoint's `/rng` section
/// and restored by `init(stateDict:)`, so a resumed run draws exactly the numbers an
/// uninterrupted run would have drawn.
public struct RandomGenerator: RandomNumberGenerator, Sendable, Equatable {
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    public static let algorithm = "xoshiro256**"

    /// A generator whose state is SplitMix64's first four outputs from `seed`.
    public init(seed: UInt64) {
        var s = seed
        state = (Self.splitMix(&s), Self.splitMix(&s), Self.splitMix(&s), Self.splitMix(&s))
    }

    /// A generator for one named stream of a run: the same `(seed, stream, index)` always
    /// gives the same numbers, and different streams are statistically independent.
    /// The shuffle order of epoch `e` is `RandomGenerator(seed: seed, stream: .shuffle, index: e)`.
    public init(seed: UInt64, stream: Stream, index: UInt64 = 0) {
        var s = seed ^ (stream.rawValue &* 0x9E37_79B9_7F4A_7C15)
        let a = Self.splitMix(&s)
        var t = a ^ (index &* 0xD1B5_4A32_D192_ED03)
        self.init(seed: Self.splitMix(&t))
    }

    /// Independent uses of a run's seed.
    public enum Stream: UInt64, Sendable {
        case initialisation = 1, shuffle = 2, synthetic = 3
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.state.0 == b.state.0 && a.state.1 == b.state.1 && a.state.2 == b.state.2 && a.state.3 == b.state.3
    }

    private static func splitMix(_ s: inout UInt64) -> UInt64 {
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = Self.rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = Self.rotl(state.3, 45)
        return result
    }

    /// A double uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A float uniform in [`low`, `high`), computed in double and rounded once.
    @inline(__always)
    public mutating func uniform(_ low: Double, _ high: Double) -> Float {
        Float(low + (high - low) * nextDouble())
    }

    /// An integer uniform in 0..<`bound` without modulo bias (Lemire's multiply-shift method).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0)
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// A standard normal sample (Box–Muller, one of the pair; no cached state to save).
    public mutating func normal() -> Double {
        let u1 = 1 - nextDouble()  // (0, 1]
        let u2 = nextDouble()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A uniformly random permutation of 0..<`n` (Fisher–Yates from the last element down).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        var i = n - 1
        while i > 0 {
            let j = nextInt(below: i + 1)
            p.swapAt(i, j)
            i -= 1
        }
        return p
    }

    // MARK: state dict

    /// `["algorithm": "xoshiro256**", "state": int64 [4]]` (the words' bit patterns).
    public func stateDict() -> StateDict {
        let words = [state.0, state.1, state.2, state.3].map { Int64(bitPattern: $0) }
        return ["algorithm": .string(Self.algorithm),
                "state": .tensor(TensorData(shape: [4], storage: .int64(words)))]
    }

    /// Restores a generator saved by `stateDict()`.
    public init(stateDict: StateDict) throws {
        guard let name = stateDict["algorithm"]?.stringValue else {
            throw ModelError.invalidState("RNG state has no 'algorithm' string (keys: \(stateDict.keys))")
        }
        guard name == Self.algorithm else {
            throw ModelError.invalidState("RNG algorithm is '\(name)', expected '\(Self.algorithm)'")
        }
        guard let t = stateDict["state"]?.tensorValue, case .int64(let w) = t.storage, w.count == 4 else {
            throw ModelError.invalidState(
                "RNG 'state' must be an int64 tensor of 4 words, found \(stateDict["state"]?.kindName ?? "nothing")")
        }
        let u = w.map { UInt64(bitPattern: $0) }
        guard u.contains(where: { $0 != 0 }) else {
            throw ModelError.invalidState("RNG state is all zeros, which xoshiro256** cannot leave")
        }
        state = (u[0], u[1], u[2], u[3])
    }
}

