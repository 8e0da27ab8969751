import Foundation
import HDF5
import Testing

@Suite struct HDF5RoundTripTests {
    static let attributeValues: [(String, HDF5AttributeValue)] = [
        ("double", .scalar(-0.0)),
        ("nan", .scalar(Double(bitPattern: 0x7FF8_0000_0000_1234))),
        ("inf", .scalar(-Double.infinity)),
        ("int", .scalar(Int64.min)),
        ("bool", .scalar(true)),
        ("int32", .scalar(Int32(-7))),
        ("float", .scalar(Float(1.5))),
        ("uint8", .scalar(UInt8(255))),
        ("string", .string("héllo ✓")),
        ("emptyString", .string("")),
        ("none", .empty),
        ("ints", .array([Int64(1), 2, 2, 3])),
        ("doubles", .array([0.1, .nan, .infinity])),
        ("bools", .array([true, false])),
        ("strings", .stringArray(["a", "βγ", ""])),
        ("emptyArray", .array([Double]())),
        ("f16", .numbers(HDF5Array(type: .float16, shape: [2], bytes: [0x00, 0x3C, 0x00, 0x7C]))),
    ]

    @Test func attributesRoundTripInCreationOrder() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/attrs.h5"
        do {
            let f = try HDF5File.create(path)
            let g = try f.root().createGroup("g")
            for (name, value) in Self.attributeValues { try g.writeAttribute(name, value) }
            try f.close()
        }
        let f = try HDF5File.open(path)
        let g = try f.root().openGroup("g")
        #expect(try g.attributeNames() == Self.attributeValues.map(\.0))
        for (name, value) in Self.attributeValues {
            let back = try g.readAttribute(name)
            // Compare bytes (NaN payloads included), not floating-point equality.
            #expect(back == value, "attribute \(name)")
        }
    }

    @Test(arguments: HDF5ElementType.allCases)
    func datasetsRoundTripEveryType(type: HDF5ElementType) throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/d.h5"
        let shapes: [[Int]] = [[], [0], [2, 3], [0, 4]]
        func bytes(_ shape: [Int]) -> [UInt8] {
            let n = shape.reduce(1, *) * type.size
            return (0..<n).map { type == .bool ? UInt8($0 % 2) : UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        }
        do {
            let f = try HDF5File.create(path)
            let root = try f.root()
            for (i, s) in shapes.enumerated() {
                let b = bytes(s)
                try b.withUnsafeBytes { _ = try root.createDataset("d\(i)", type: type, shape: s, bytes: $0) }
            }
            try f.close()
        }
        let f = try HDF5File.open(path)
        let root = try f.root()
        #expect(try root.childNames() == (0..<shapes.count).map { "d\($0)" })
        for (i, s) in shapes.enumerated() {
            let d = try root.openDataset("d\(i)")
            #expect(try d.shape() == s)
            #expect(try d.elementType() == type)
            #expect(try d.layout() == .contiguous)
            var back = [UInt8](repeating: 0, count: bytes(s).count)
            try back.withUnsafeMutableBytes { try d.read(into: $0, as: type) }
            #expect(back == bytes(s))
        }
    }

    @Test func stringsAndUnicodeNamesRoundTrip() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/s.h5"
        let names = ["zeta", "alpha.weight", "Ünïcødé ✓", "0"]
        do {
            let f = try HDF5File.create(path)
            let root = try f.root()
            for n in names { try root.createStringDataset(n, strings: ["x", n]) }
            try f.close()
        }
        let root = try HDF5File.open(path).root()
        #expect(try root.childNames() == names)
        for n in names { #expect(try root.openDataset(n).readStrings() == ["x", n]) }
    }

    @Test func typedReadConvertsNumbers() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/t.h5"
        do {
            let f = try HDF5File.create(path)
            try f.root().createDataset("i32", values: [Int32(-5), 7])
            try f.close()
        }
        let d = try HDF5File.open(path).root().openDataset("i32")
        #expect(try d.read(as: Int64.self) == [-5, 7])
        #expect(try d.read(as: Int32.self) == [-5, 7])
    }

    @Test func createRefusesExistingFileUnlessOverwrite() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/x.h5"
        try HDF5File.create(path).close()
        #expect(throws: HDF5Error.self) { try HDF5File.create(path) }
        try HDF5File.create(path, overwrite: true).close()
    }
}
