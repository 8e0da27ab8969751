import CkptCore
import CkptTestSupport
import Foundation
import Testing
@testable import CkptFormat

/// bfloat16, int16 and int8 tensors through every format, against what the reference
/// writers produced (`fixtures/make_pt_fixtures.py`, `fixtures/make_dtype_fixtures.py`) and
/// what PyTorch loaded (`fixtures/torch/expected.json`, rows of `dtypes.pt`); and the PyTorch
/// dtypes ckpt cannot hold, refused naming the tensor and the dtype.
@Suite struct TorchDTypeTests {
    static let names = ["bf16", "i16", "i8"]
    static let fixtures = Repository.path("fixtures")

    /// expected.json's rows of dtypes.pt for `names`, re-rooted at "" (row path = tensor name).
    static func rows() throws -> [StateDict] {
        let all = try #require(try TorchFileTests.expected()["dtypes.pt"]?.arrayValue).compactMap(\.dictValue)
        let rows = all.filter { names.contains($0["path"]?.stringValue ?? "") }
        #expect(rows.count == names.count)
        return rows
    }

    static func check(_ tensors: StateDict, _ what: String) throws {
        for row in try rows() {
            let problems = TorchFileTests.check(row, in: .dict(tensors), file: what)
            #expect(problems.isEmpty, "\(problems)")
        }
    }

    @Test func safetensorsWrittenBySafetensorsTorchMatchesPyTorch() throws {
        let (tensors, _) = try Safetensors.read(Self.fixtures + "/safetensors/dtypes16.safetensors")
        #expect(tensors["bf16"]?.tensorValue?.dtype == .bfloat16 && tensors["i8"]?.tensorValue?.dtype == .int8)
        try Self.check(tensors, "dtypes16.safetensors")
    }

    /// python/ckpt_torch.save of torch.bfloat16 / int16 / int8 tensors: HDF5 uint16 marked
    /// `__ckpt_dtype__ = "bfloat16"`, native int16 and int8; read whole and streamed.
    @Test func hdf5WrittenByPythonMatchesPyTorch() throws {
        let path = Self.fixtures + "/h5py/bfloat16_python.h5"
        let c = try CheckpointFile.load(path)
        try Self.check(c.model, "bfloat16_python.h5")
        let outline = try CheckpointFile.outline(path, inlineBytes: 0)
        for name in Self.names {
            let standIn = try #require(outline.checkpoint.model[name]?.tensorValue)
            #expect(try outline.tensor(standIn, at: "model/" + name) == c.model[name]?.tensorValue, "\(name)")
        }
        let counts = try outline.checkRemaining(countingNonFinite: true)
        #expect(counts.first { $0.path == "model/bf16" }?.count == NonFiniteCount(nan: 1, infinite: 1))
    }

    /// dtypes.pt → .h5 → .safetensors → .pt → TorchFile: every tensor bit-identical.
    @Test func everyFormatRoundTripsTheTensorsBitForBit() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        guard case .dict(let root) = try TorchFile.read(TorchFileTests.directory + "/dtypes.pt") else { Issue.record("not a dict"); return }
        var model = StateDict()
        for (k, v) in root { if case .tensor = v { model[k] = v } }
        #expect(model.keys.count == 12)
        try CheckpointFile.save(Checkpoint(model: model), to: dir + "/a.h5", durable: false)
        let h5 = try CheckpointFile.load(dir + "/a.h5").model
        try Safetensors.write(h5, to: dir + "/a.safetensors", durable: false)
        let st = try Safetensors.read(dir + "/a.safetensors").tensors
        try TorchSave.write(Checkpoint(model: st), to: dir + "/a.pt", durable: false)
        let pt = try #require(try TorchFile.read(dir + "/a.pt").dictValue)  // a model-only checkpoint is the bare state dict
        for (k, v) in model {
            let t = try #require(v.tensorValue)
            for (format, back) in [("h5", h5), ("safetensors", st), ("pt", pt)] {
                #expect(back[k]?.tensorValue?.bitwiseEqual(t) == true, "\(k) through \(format)")
            }
        }
        try Self.check(pt, "a.pt")
    }

    /// An int16 tensor pickled as torch.save pickles uint16: `_rebuild_tensor_v3` over an
    /// untyped storage with the dtype as an argument.
    @Test func rebuildTensorV3TypesTheUntypedStorage() throws {
        let v = try TorchFile.read(TorchFileTests.directory + "/unsupported/v3_int16.pt")
        #expect(v.dictValue?["w"]?.tensorValue == TensorData(shape: [2], storage: .int16([-2, 300])))
    }

    @Test(arguments: ["uint16", "uint32", "uint64", "complex64", "complex128", "float8_e4m3fn", "float8_e5m2"])
    func unrepresentableDTypesAreRefusedNamingTensorAndDType(_ dtype: String) throws {
        let path = TorchFileTests.directory + "/unsupported/\(dtype).pt"
        do {
            _ = try TorchFile.read(path)
            Issue.record("\(dtype).pt was read")
        } catch {
            let message = "\(error)"
            #expect(message.contains(path) && message.contains("layer") && message.contains("w"), "\(message)")
            #expect(message.contains("a \(dtype) tensor"), "\(message)")
        }
    }

    /// Diff compares bfloat16 values numerically: one ulp at 1.0 is 2⁻⁷.
    @Test func diffMeasuresBFloat16Differences() throws {
        let a = TensorData(shape: [3], storage: .bfloat16([0x3f80, 0x4000, 0x7fc0]))   // 1, 2, NaN
        let b = TensorData(shape: [3], storage: .bfloat16([0x3f81, 0x4000, 0x7fc0]))   // 1 + 2⁻⁷
        let d = try #require(TensorComparison.compare(a, b))
        #expect(d.differing == 1 && d.maxAbs == 0x1p-7 && d.first?.index == 0 && d.first?.a == 1)
        #expect(TensorComparison.compare(a, b, tolerance: Tolerance(atol: 0.01))?.isClose == true)
        let mixed = TensorComparison.compare(a, TensorData(shape: [3], storage: .float32([1, 2, .nan])))
        #expect(mixed?.isClose == true)
        #expect(a.element(at: 1) == .double(2))
        #expect(TensorData(shape: [1], storage: .int8([-3])).element(at: 0) == .int(-3))
    }
}
