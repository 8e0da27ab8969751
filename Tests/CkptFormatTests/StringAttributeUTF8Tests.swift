import CkptCore
import CkptTestSupport
import HDF5
import Testing
@testable import CkptFormat

/// String attributes whose bytes are not UTF-8 (h5py writes them from Python `bytes`): every
/// reader refuses them with an error naming the file, the object and the attribute, where a
/// lossy decoding used to put U+FFFD in place of the file's bytes.
/// Fixture: fixtures/make_foreign_fixtures.py (`not_utf8`).
@Suite struct StringAttributeUTF8Tests {
    static let file = Repository.path("fixtures/foreign/ckpt_model_string_attrs_not_utf8_refused_nosum.h5")

    @Test func checkpointLoadNamesTheFileAndTheAttribute() {
        do {
            _ = try CheckpointFile.load(Self.file)
            Issue.record("loaded a checkpoint whose attribute is not UTF-8")
        } catch CheckpointError.unreadable(let file, let path, let reason) {
            #expect(file == Self.file)
            #expect(path == "/model")
            #expect(reason == "cannot read attribute 'vlen_not_utf8': string is not valid UTF-8 (bytes 61 62 ff 63 64)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func listingShowsBothAttributesUnreadable() throws {
        let root = try FileTreeNode.list(Self.file)
        let attrs = Dictionary(uniqueKeysWithValues: try #require(root.find("model")).attributes.map { ($0.name, $0) })
        #expect(attrs["vlen_not_utf8"]?.value == nil)
        #expect(attrs["vlen_not_utf8"]?.type.hasSuffix("unreadable: string is not valid UTF-8 (bytes 61 62 ff 63 64)") == true,
                "\(String(describing: attrs["vlen_not_utf8"]?.type))")
        #expect(attrs["fixed_latin1"]?.value == nil)
        #expect(attrs["fixed_latin1"]?.type.hasSuffix("unreadable: string is not valid UTF-8 (bytes 63 61 66 e9)") == true,
                "\(String(describing: attrs["fixed_latin1"]?.type))")
    }

    @Test func theHDF5LayerRefusesFixedAndVariableStringsAlike() throws {
        let file = try HDF5File.open(Self.file)
        defer { try? file.close() }
        let model = try file.root().openGroup("model")
        for (name, bytes) in [("vlen_not_utf8", "61 62 ff 63 64"), ("fixed_latin1", "63 61 66 e9")] {
            #expect(throws: HDF5Error(file: Self.file, path: "/model", operation: "read attribute '\(name)'",
                                      reason: "string is not valid UTF-8 (bytes \(bytes))")) {
                try model.readAttribute(name)
            }
        }
    }

    @Test func validUTF8StillReads() throws {
        let file = try HDF5File.open(Repository.path("fixtures/foreign/ckpt_model_string_attrs_vlen_ascii_fixed_spacepad_checksums.h5"))
        defer { try? file.close() }
        #expect(try file.root().openGroup("model").readAttribute("vlen_utf8") == .string("héllo"))
    }
}
