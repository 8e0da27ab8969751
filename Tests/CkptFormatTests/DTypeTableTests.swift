import CkptCore
import HDF5
import Testing
@testable import CkptFormat

/// ckpt names its dtypes as PyTorch and HDF5ElementType do, so the format maps between them by
/// name instead of keeping tables: every `DType` but bfloat16 has its namesake on both sides;
/// bfloat16 is HDF5 uint16 marked `__ckpt_dtype__ = "bfloat16"`.
@Suite struct DTypeTableTests {
    @Test func everyDTypeHasAnHDF5ElementTypeOfTheSameName() {
        for d in DType.allCases where d != .bfloat16 {
            #expect(HDF5ElementType(rawValue: d.rawValue) == d.hdf5Type, "\(d)")
            #expect(d.hdf5Type.size == d.size, "\(d)")
            #expect(DType(d.hdf5Type) == d)
            #expect(!d.needsDTypeAttribute)
        }
        #expect(DType.bfloat16.hdf5Type == .uint16 && DType.bfloat16.needsDTypeAttribute)
        #expect(DType(.uint16, dtypeAttribute: "bfloat16") == .bfloat16)
        #expect(DType(.int16, dtypeAttribute: "bfloat16") == nil)
        #expect(DType(.uint16, dtypeAttribute: "float8") == nil)
        #expect(DType(HDF5ElementType.uint64) == nil)
        #expect(DType(HDF5ElementType.uint16) == nil)
    }

    /// Float(bfloat16Bits:) and .bfloat16Bits against values PyTorch gave (expected.json's
    /// bf16 row: torch.tensor([1.0, -2.5, 3.0e38, 1.0e-40, nan, -inf, 0.1], dtype=torch.bfloat16)).
    @Test func bfloat16RoundsAsPyTorch() {
        let inputs: [Float] = [1.0, -2.5, 3.0e38, 1.0e-40, .nan, -.infinity, 0.1]
        let torchBits: [UInt16] = [16256, 49184, 32610, 1, 32704, 65408, 15821]
        #expect(inputs.map(\.bfloat16Bits) == torchBits)
        #expect(Float(bfloat16Bits: 15821) == 0.10009765625)
        #expect(Float(bfloat16Bits: 32610) == 3.00405527047391e+38)
    }

    @Test func torchStorageTypesMapToTheDTypeOfTheSameName() {
        #expect(TorchElementType(storageClass: "FloatStorage")?.dtype == .float32)
        #expect(TorchElementType(storageClass: "HalfStorage")?.dtype == .float16)
        #expect(TorchElementType(storageClass: "BoolStorage")?.dtype == .bool)
        #expect(TorchElementType(storageClass: "BFloat16Storage")?.dtype == .bfloat16)
        #expect(TorchElementType(storageClass: "ShortStorage")?.dtype == .int16)
        #expect(TorchElementType(storageClass: "CharStorage")?.dtype == .int8)
        #expect(TorchElementType(storageClass: "ComplexFloatStorage")?.dtype == nil)
        #expect(TorchElementType(dtypeName: "uint16")?.dtype == nil && TorchElementType(dtypeName: "short")?.dtype == .int16)
        for d in DType.allCases { #expect(PickleWriter.storageClass(d).hasSuffix("Storage") && TorchElementType(storageClass: PickleWriter.storageClass(d))?.dtype == d, "\(d)") }
        for d in DType.allCases { #expect(TorchElementType(rawValue: d.rawValue)?.dtype == d, "\(d)") }
    }
}
