import CkptCore
import Testing

/// `TensorData(validating:storage:)` and `elementCount(_:dtype:)`: the checked way to build a
/// tensor from a file's shape. Each bad shape is a `ShapeError`, never a trap.
@Suite struct TensorDataValidatingTests {
    @Test func acceptsWhatTheTrustedInitAccepts() throws {
        let a = try TensorData(validating: [2, 3], storage: .float32([1, 2, 3, 4, 5, 6]))
        #expect(a == TensorData(shape: [2, 3], storage: .float32([1, 2, 3, 4, 5, 6])))
        #expect(try TensorData(validating: [], storage: .int64([7])).count == 1)  // 0-d
        #expect(try TensorData(validating: [0, 5], storage: .bool([])).count == 0)
        #expect(try TensorData(validating: [Int.max, 0], storage: .uint8([])).shape == [Int.max, 0])
    }

    @Test func negativeDimensions() {
        // [-1, -1] multiplies to 1: the product alone would accept one element.
        #expect(throws: TensorData.ShapeError.negativeDimension(shape: [-1, -1])) {
            try TensorData(validating: [-1, -1], storage: .float32([0]))
        }
        #expect(throws: TensorData.ShapeError.negativeDimension(shape: [0, -3])) {
            try TensorData.elementCount([0, -3], dtype: .uint8)
        }
    }

    @Test func overflowingCounts() throws {
        #expect(throws: TensorData.ShapeError.overflow(shape: [1 << 32, 1 << 32], dtype: .uint8)) {
            try TensorData.elementCount([1 << 32, 1 << 32], dtype: .uint8)
        }
        // The element count fits, its byte count does not.
        #expect(throws: TensorData.ShapeError.overflow(shape: [Int.max / 4], dtype: .float64)) {
            try TensorData.elementCount([Int.max / 4], dtype: .float64)
        }
        #expect(try TensorData.elementCount([Int.max / 4], dtype: .float32) == Int.max / 4)
    }

    @Test func storageCountMismatch() throws {
        let e = TensorData.ShapeError.countMismatch(shape: [2, 3], dtype: .float16, expected: 6, found: 5)
        #expect(throws: e) { try TensorData(validating: [2, 3], storage: .float16([1, 2, 3, 4, 5])) }
        #expect(e.description == "shape [2, 3] holds 6 float16 elements, the data holds 5")
        #expect(throws: TensorData.ShapeError.self) { try TensorData(validating: [], storage: .float32([])) }
    }
}
