import CkptCore
import HDF5
import Testing
@testable import CkptFormat

/// The one attribute decoder (`AttributeDecoder`): values are kept exactly or refused with an
/// error naming the file, the attribute and the value; nothing the file holds can trap it.
@Suite struct AttributeDecoderTests {
    let decoder = AttributeDecoder(file: "f.h5")

    static func half(_ bits: [UInt16], shape: [Int]? = nil) -> HDF5AttributeValue {
        .numbers(HDF5Array(type: .float16, shape: shape ?? [bits.count], bytes: bits.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }))
    }

    @Test func float16WidensExactly() throws {
        // IEEE binary16: 1.5, -2.0, the largest finite 65504, the smallest subnormal 2^-24, -0.0, +inf.
        let v = try decoder.decode(Self.half([0x3E00, 0xC000, 0x7BFF, 0x0001, 0x8000, 0x7C00]), path: "/h")
        #expect(v == .list([1.5, -2.0, 65504.0, .double(0x1p-24), .double(-0.0), .double(.infinity)]))
        guard case .list(let items) = v, case .double(let negZero) = items[4] else { Issue.record("\(v)"); return }
        #expect(negZero.sign == .minus)
        #expect(try decoder.decode(Self.half([0x3C00], shape: []), path: "/h") == .double(1.0))
    }

    @Test func uint64AboveInt64IsRefusedNamingPathAndValue() throws {
        #expect(try decoder.decode(.array([UInt64(7), UInt64(Int64.max)]), path: "/u") == .list([7, .int(Int64.max)]))
        do {
            _ = try decoder.decode(.array([UInt64(7), 1 << 63 + 1]), path: "/model/u64")
            Issue.record("2^63 + 1 decoded")
        } catch let e as CheckpointError {
            guard case .malformed("f.h5", "/model/u64", let reason) = e else { Issue.record("\(e)"); return }
            #expect(reason.contains("9223372036854775809") && reason.contains("element 1"), "\(reason)")
        }
        #expect(throws: CheckpointError.self) { try decoder.decode(.scalar(UInt64.max), path: "/u") }
    }

    @Test func everyIntegerAndFloatTypeWidensToPythonTypes() throws {
        #expect(try decoder.decode(.array([Int8(-128), 127]), path: "/a") == .list([-128, 127]))
        #expect(try decoder.decode(.array([UInt32.max]), path: "/a") == .list([.int(Int64(UInt32.max))]))
        #expect(try decoder.decode(.scalar(Float(0.1)), path: "/a") == .double(Double(Float(0.1))))
        #expect(try decoder.decode(.array([true, false]), path: "/a", isTuple: true) == .tuple([true, false]))
        #expect(try decoder.decode(.stringArray(["a", "b"]), path: "/a", isTuple: true) == .tuple(["a", "b"]))
        #expect(try decoder.decode(.empty, path: "/a") == .none)
    }

    @Test func higherRanksAreStateValuesOnlyInListings() throws {
        let grid = HDF5AttributeValue.numbers(HDF5Array((0..<6).map { Int64($0) }, shape: [2, 3]))
        do {
            _ = try decoder.decode(grid, path: "/g")
            Issue.record("2-D decoded as a state value")
        } catch let e as CheckpointError {
            #expect(e == .malformed(file: "f.h5", path: "/g", reason: "attribute of shape [2, 3]: only scalars and 1-D arrays are state values"))
        }
        let listing = AttributeDecoder(file: "f.h5", nestedArrays: true)
        #expect(try listing.decode(grid, path: "/g") == .list([.list([0, 1, 2]), .list([3, 4, 5])]))
        #expect(try listing.decode(.numbers(HDF5Array([Int64](), shape: [2, 0])), path: "/g") == .list([.list([]), .list([])]))
        #expect(try listing.decode(.strings(["a", "b"], shape: [1, 2]), path: "/g") == .list([.list(["a", "b"])]))
        // No elements, but a shape that would make a billion lists, or whose product overflows.
        #expect(throws: CheckpointError.self) { try listing.decode(.numbers(HDF5Array([Int64](), shape: [1_000_000_000, 0])), path: "/g") }
        #expect(try listing.decode(.numbers(HDF5Array([Int64](), shape: [0, 1 << 62, 1 << 62])), path: "/g") == .list([]))
    }

    @Test func inconsistentValuesAreErrorsNotTraps() {
        let bad: [HDF5AttributeValue] = [
            .numbers(HDF5Array(type: .int32, shape: [3], bytes: [0, 0, 0, 0])),  // 4 bytes for 3 int32
            .numbers(HDF5Array(type: .float16, shape: [], bytes: [0])),
            .numbers(HDF5Array(type: .int64, shape: [Int.max, 2], bytes: [])),  // element count overflows
            .numbers(HDF5Array(type: .int64, shape: [-1], bytes: [])),
            .strings([], shape: []),
            .strings(["a"], shape: [2]),
        ]
        for value in bad {
            #expect(throws: CheckpointError.self, "\(value)") { try decoder.decode(value, path: "/x") }
            #expect(throws: CheckpointError.self, "\(value)") { try AttributeDecoder(file: "f.h5", nestedArrays: true).decode(value, path: "/x") }
        }
    }
}
