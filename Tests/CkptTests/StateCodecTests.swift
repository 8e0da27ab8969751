import CkptCore
import Testing
@testable import Ckpt

/// Optimizer state moved between ranks keeps every dtype bit for bit (bfloat16, int16 and
/// int8 included), and a byte count that is no whole number of elements is an error.
@Suite struct StateCodecTests {
    @Test func everyDTypeRoundTripsBitForBit() throws {
        var d = StateDict()
        d["f32"] = .tensor(TensorData(shape: [2], storage: .float32([1.5, .nan])))
        d["f64"] = .tensor(TensorData(shape: [], storage: .float64([-0.0])))
        d["f16"] = .tensor(TensorData(shape: [1], storage: .float16([0x7c00])))
        d["bf16"] = .tensor(TensorData(shape: [3], storage: .bfloat16([0x3f80, 0xff80, 0x7fc1])))
        d["i64"] = .tensor(TensorData(shape: [1], storage: .int64([-1 << 40])))
        d["i32"] = .tensor(TensorData(shape: [1], storage: .int32([-7])))
        d["i16"] = .tensor(TensorData(shape: [2], storage: .int16([-32768, 32767])))
        d["i8"] = .tensor(TensorData(shape: [2, 1], storage: .int8([-128, 127])))
        d["u8"] = .tensor(TensorData(shape: [1], storage: .uint8([255])))
        d["b"] = .tensor(TensorData(shape: [2], storage: .bool([true, false])))
        #expect(Set(d.compactMap { $0.value.tensorValue?.dtype }) == Set(DType.allCases))
        let back = try StateCodec.decode(StateCodec.encode(.dict(d)))
        for (k, v) in d {
            #expect(back.dictValue?[k]?.tensorValue?.bitwiseEqual(v.tensorValue!) == true, "\(k)")
        }
    }

    /// A state with every kind of value: tensors, ints, doubles, bools, strings, None, lists,
    /// tuples, int-keyed dicts and a Counter, nested.
    static func richState() -> StateValue {
        var inner = StateDict(intKeys: [])
        inner["0"] = .dict(["exp_avg": .tensor(TensorData(shape: [2, 2], storage: .float32([1, 2, 3, 4]))),
                            "step": .tensor(TensorData(shape: [], storage: .float32([7])))])
        var counter: StateDict = ["a": .int(3)]
        counter.pythonClass = .counter
        return .dict(["state": .dict(inner),
                      "param_groups": .list([.dict(["lr": .double(0.1), "betas": .tuple([.double(0.9), .double(0.999)]),
                                                    "amsgrad": .bool(false), "foreach": .none, "name": .string("ünï"),
                                                    "params": .list([.int(0)])])]),
                      "counts": .dict(counter)])
    }

    @Test func aRichStateRoundTrips() throws {
        let v = Self.richState()
        #expect(try StateCodec.decode(StateCodec.encode(v)).bitwiseEqual(v))
    }

    /// Bytes from another rank are decoded with every length checked: truncated at every
    /// length, with bytes overwritten at random (seeded), or nested past the format's depth
    /// limit, decoding ends in a value or in `Malformed`, never in a trap or a stack overflow.
    @Test func damagedBytesEndInAnErrorNotATrap() throws {
        let good = StateCodec.encode(Self.richState())
        for n in 0..<good.count {
            #expect(throws: StateCodec.Malformed.self) { try StateCodec.decode(Array(good.prefix(n))) }
        }
        var rng = RandomGenerator(seed: 20261205)  // seeded: a failure replays
        var decoded = 0, refused = 0
        for _ in 0..<20_000 {
            var b = good
            for _ in 0...(rng.next() % 3) {
                let at = Int(rng.next() % UInt64(b.count))
                // Often a length byte set to a large value, else any byte.
                b[at] = rng.next() % 4 == 0 ? 0xff : UInt8(truncatingIfNeeded: rng.next())
            }
            do { _ = try StateCodec.decode(b); decoded += 1 } catch is StateCodec.Malformed { refused += 1 }
        }
        #expect(decoded + refused == 20_000 && refused > 1_000, "decoded \(decoded), refused \(refused)")
        // A list nested 100,000 deep: [6, count 1, [6, count 1, ...]].
        let level: [UInt8] = [6, 1, 0, 0, 0, 0, 0, 0, 0]
        let deep: [UInt8] = Array(Array(repeating: level, count: 100_000).joined()) + [5]
        #expect(throws: StateCodec.Malformed.self) { try StateCodec.decode(deep) }
        // Within the limit it decodes.
        let shallow: [UInt8] = Array(Array(repeating: level, count: 10).joined()) + [5]
        #expect(try StateCodec.decode(shallow) != .none)
    }
}
