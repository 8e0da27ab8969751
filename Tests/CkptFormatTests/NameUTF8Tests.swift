import CkptCore
import CkptTestSupport
import HDF5
import Testing
@testable import CkptFormat

/// Attribute and link names whose bytes are not UTF-8 (h5py writes them from Python `bytes`)
/// are refused naming the file, the parent object and the bytes, as string values are
/// (`StringAttributeUTF8Tests`), where a lossy decoding used to read them as U+FFFD.
/// Fixtures: fixtures/make_foreign_fixtures.py (`attr_name_not_utf8`, `link_name_not_utf8`).
@Suite struct NameUTF8Tests {
    static let attrFile = Repository.path("fixtures/foreign/ckpt_model_attr_name_not_utf8_refused_nosum.h5")
    static let linkFile = Repository.path("fixtures/foreign/ckpt_model_link_name_not_utf8_refused_nosum.h5")

    @Test func theHDF5LayerRefusesAttributeAndLinkNames() throws {
        let a = try HDF5File.open(Self.attrFile)
        defer { try? a.close() }
        #expect(throws: HDF5Error(file: Self.attrFile, path: "/model", operation: "list attributes",
                                  reason: "a name is not valid UTF-8 (bytes 6c 72 ff)")) {
            try a.root().openGroup("model").attributeNames()
        }
        let l = try HDF5File.open(Self.linkFile)
        defer { try? l.close() }
        #expect(throws: HDF5Error(file: Self.linkFile, path: "/model", operation: "list group",
                                  reason: "a name is not valid UTF-8 (bytes 63 61 66 e9)")) {
            try l.root().openGroup("model").childNames()
        }
    }

    @Test func checkpointLoadNamesTheFileTheParentAndTheBytes() {
        for (file, op, bytes) in [(Self.attrFile, "list attributes", "6c 72 ff"), (Self.linkFile, "list group", "63 61 66 e9")] {
            #expect(throws: CheckpointError.unreadable(file: file, path: "/model",
                                                       reason: "cannot \(op): a name is not valid UTF-8 (bytes \(bytes))")) {
                try CheckpointFile.load(file)
            }
        }
    }

    @Test func validUTF8NamesStillList() throws {
        let file = try HDF5File.open(Repository.path("fixtures/foreign/ckpt_names_unicode_space_dotleading_checksums.h5"))
        defer { try? file.close() }
        #expect(try !file.root().openGroup("model").childNames().isEmpty)
    }
}
