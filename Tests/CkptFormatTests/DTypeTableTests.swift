import CkptCore
import HDF5
import Testing
@testable import CkptFormat

/// ckpt names its dtypes as PyTorch and HDF5ElementType do, so the format maps between them by
/// name instead of keeping tables: every `DType` must have its namesake on both sides.
@Suite struct DTypeTableTests {
    @Test func everyDTypeHasAnHDF5ElementTypeOfTheSameName() {
        for d in DType.allCases {
            #expect(HDF5ElementType(rawValue: d.rawValue) != nil, "\(d)")
            #expect(d.hdf5Type.size == d.size, "\(d)")
            #expect(DType(d.hdf5Type) == d)
        }
        #expect(DType(HDF5ElementType.uint64) == nil)
        #expect(DType(HDF5ElementType.int16) == nil)
    }

    @Test func torchStorageTypesMapToTheDTypeOfTheSameName() {
        #expect(TorchElementType(storageClass: "FloatStorage")?.dtype == .float32)
        #expect(TorchElementType(storageClass: "HalfStorage")?.dtype == .float16)
        #expect(TorchElementType(storageClass: "BoolStorage")?.dtype == .bool)
        #expect(TorchElementType(storageClass: "BFloat16Storage")?.dtype == nil)
        #expect(TorchElementType(storageClass: "ShortStorage")?.dtype == nil)
        for d in DType.allCases { #expect(TorchElementType(rawValue: d.rawValue)?.dtype == d, "\(d)") }
    }
}
