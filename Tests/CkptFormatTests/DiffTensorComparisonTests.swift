import Testing
import CkptCore
@testable import CkptFormat

/// Reference counts from numpy 2 (`np.isclose(a, b, atol, rtol, equal_nan=True)` on these
/// float32 values widened to float64), computed once and pasted here.
@Suite struct DiffTensorComparisonTests {
    static let a: [Float] = [1, 2, .nan, .infinity, -.infinity, 0, -0.0, 1e-8, 3.5, .nan, .infinity, 5, 100]
    static let b: [Float] = [1, 2.5, .nan, .infinity, .infinity, -0.0, 0, 0, 3.25, 7, 8, 5, 101]

    static func t(_ x: [Float]) -> TensorData { TensorData(shape: [x.count], storage: .float32(x)) }

    @Test(arguments: [(0.0, 0.0, 7), (0.3, 0.0, 5), (0.0, 0.1, 5), (0.01, 0.01, 5)])
    func countsMatchNumpyIsclose(atol: Double, rtol: Double, differing: Int) throws {
        let d = try #require(TensorComparison.compare(Self.t(Self.a), Self.t(Self.b), tolerance: Tolerance(atol: atol, rtol: rtol)))
        #expect(d.count == 13)
        #expect(d.differing == differing)
        #expect(d.nanMismatches == 1)
        #expect(d.infMismatches == 2)
        #expect(d.maxAbs == 1.0)
        #expect(d.maxRel == .infinity)
        #expect(d.first?.index == 1)
    }

    @Test func identicalTensorsAreClose() throws {
        let d = try #require(TensorComparison.compare(Self.t(Self.a), Self.t(Self.a)))
        #expect(d.isClose)
        #expect(d.maxAbs == 0 && d.maxRel == 0)
        #expect(d.first == nil)
    }

    @Test func shapeMismatchIsNotComparable() {
        let x = TensorData(shape: [2, 3], storage: .float32(Array(repeating: 0, count: 6)))
        let y = TensorData(shape: [3, 2], storage: .float32(Array(repeating: 0, count: 6)))
        #expect(TensorComparison.compare(x, y) == nil)
    }

    @Test func mixedDtypesCompareByValue() throws {
        let x = TensorData(shape: [3], storage: .float32([1, 2.5, 3]))
        let y = TensorData(shape: [3], storage: .float64([1, 2.5, 3.5]))
        let d = try #require(TensorComparison.compare(x, y))
        #expect(d.differing == 1)
        #expect(d.maxAbs == 0.5)
        #expect(d.first?.index == 2)
    }

    @Test func float16ComparesDecodedValues() throws {
        // 0x3C00 = 1.0, 0x3E00 = 1.5, 0x7E00 and 0x7E01 are two NaNs, 0xFC00 = -inf.
        let x = TensorData(shape: [4], storage: .float16([0x3C00, 0x3E00, 0x7E00, 0xFC00]))
        let y = TensorData(shape: [4], storage: .float16([0x3C00, 0x3C00, 0x7E01, 0xFC00]))
        let d = try #require(TensorComparison.compare(x, y))
        #expect(d.differing == 1)
        #expect(d.maxAbs == 0.5)
        let values = x.doubleElements
        #expect(values[0] == 1 && values[1] == 1.5 && values[2].isNaN && values[3] == -.infinity)
    }

    @Test func int64DifferencesBeyondDoublePrecisionCount() throws {
        let big: Int64 = 1 << 60
        let x = TensorData(shape: [2], storage: .int64([big, 7]))
        let y = TensorData(shape: [2], storage: .int64([big + 1, 7]))
        let d = try #require(TensorComparison.compare(x, y))
        #expect(d.differing == 1)
    }

    @Test func boolAndUInt8() throws {
        let d = try #require(TensorComparison.compare(
            TensorData(shape: [3], storage: .bool([true, false, true])),
            TensorData(shape: [3], storage: .bool([true, true, true]))))
        #expect(d.differing == 1)
        let e = try #require(TensorComparison.compare(
            TensorData(shape: [2], storage: .uint8([200, 3])), TensorData(shape: [2], storage: .uint8([100, 3])),
            tolerance: Tolerance(atol: 99)))
        #expect(e.differing == 1 && e.maxAbs == 100 && e.maxRel == 1)
    }
}
