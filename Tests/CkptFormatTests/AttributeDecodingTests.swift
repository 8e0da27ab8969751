import CkptCore
import Foundation
import HDF5
import Testing
@testable import CkptFormat

/// HDF5 attributes that are not state values (the shapes and types h5py can write but
/// `StateWriter` never does): each is a `CheckpointError.malformed` naming the file and the
/// attribute's path, never a trap and never a value read as something else.
@Suite struct AttributeDecodingTests {
    /// A checkpoint-shaped file whose `/rng` group carries `attributes`.
    static func error(_ attributes: [(String, HDF5AttributeValue)],
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> (path: String, reason: String)? {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/attrs.h5"
        let f = try HDF5File.create(path)
        let root = try f.root()
        try root.writeAttribute("format", .string("ckpt"))
        try root.writeAttribute("format_version", .scalar(Int64(1)))
        _ = try root.createGroup("model")
        let rng = try root.createGroup("rng")
        for (name, value) in attributes { try rng.writeAttribute(name, value) }
        try f.close()
        do {
            _ = try CheckpointFile.load(path, verifyChecksums: false)
            Issue.record("loaded", sourceLocation: sourceLocation)
        } catch let e as CheckpointError {
            guard case .malformed(let file, let p, let reason) = e else {
                Issue.record("not .malformed: \(e)", sourceLocation: sourceLocation)
                return nil
            }
            #expect(file == path, sourceLocation: sourceLocation)
            return (p, reason)
        } catch {
            Issue.record("not a CheckpointError: \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    @Test func twoDimensionalNumbers() throws {
        let r = try #require(try Self.error([("m", .numbers(HDF5Array([Int64(1), 2, 3, 4], shape: [2, 2])))]))
        #expect(r.path == "/rng/m" && r.reason.contains("attribute of shape [2, 2]: only scalars and 1-D arrays"), "\(r)")
    }

    @Test func twoDimensionalStrings() throws {
        let r = try #require(try Self.error([("s", .strings(["a", "b", "c", "d"], shape: [2, 2]))]))
        #expect(r.path == "/rng/s" && r.reason.contains("attribute of shape [2, 2]"), "\(r)")
    }

    // float16 attributes load as exact doubles: AttributeDecoderTests covers them.

    /// Python's int is unbounded; ckpt's is Int64: a larger uint64 is refused, not wrapped.
    @Test func uint64BeyondInt64() throws {
        let r = try #require(try Self.error([("u", .array([UInt64(1), UInt64(Int64.max) + 1]))]))
        #expect(r.path == "/rng/u" && r.reason.contains("9223372036854775808"), "\(r)")
    }

    @Test func reservedMarkersOfTheWrongShape() throws {
        let order = try #require(try Self.error([("a", .scalar(Int64(1))), (CheckpointFormat.orderAttribute, .string("a"))]))
        #expect(order.path == "/rng/" + CheckpointFormat.orderAttribute && order.reason.contains("1-D string array"), "\(order)")
        let tuples = try #require(try Self.error([("a", .scalar(Int64(1))), (CheckpointFormat.tuplesAttribute, .scalar(Int64(1)))]))
        #expect(tuples.path == "/rng/" + CheckpointFormat.tuplesAttribute && tuples.reason.contains("1-D string array"), "\(tuples)")
    }
}
