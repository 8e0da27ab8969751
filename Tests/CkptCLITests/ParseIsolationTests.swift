import CkptTestSupport
import Foundation
import Testing
@_spi(Testing) import CkptFormat
@testable import CkptCLI

/// `inspect`, `verify` and `diff` skip the isolated child only when every file they are given
/// is signed with this user's key; anything else (another key, no key, a FIFO, a .pt file, a
/// missing or changed file) still runs in the child.
@Suite struct ParseIsolationTests {
    @Test func onlyFilesSignedByThisUserRunInProcess() throws {
        let dir = makeScratchDirectory("isolation")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = dir + "/keys/manifest.key", other = dir + "/other.key"
        let mine = dir + "/mine.h5", theirs = dir + "/theirs.h5", fifo = dir + "/fifo.h5", pt = dir + "/a.pt"
        let c = SampleCheckpoints.checkpoint()
        try ManifestKey.location.withValue(.file(key)) { try CheckpointFile.save(c, to: mine, durable: false) }
        try ManifestKey.location.withValue(.file(other)) { try CheckpointFile.save(c, to: theirs, durable: false) }
        try TorchSave.write(c, to: pt)
        #expect(mkfifo(fifo, 0o600) == 0)

        ManifestKey.location.withValue(.file(key)) {
            #expect(!ParseIsolation.needsChild([mine]))
            #expect(!ParseIsolation.needsChild([mine, mine]))
            #expect(ParseIsolation.needsChild([mine, theirs]))
            #expect(ParseIsolation.needsChild([mine, fifo]))
            #expect(ParseIsolation.needsChild([pt]))
            #expect(ParseIsolation.needsChild([dir + "/missing.h5"]))
            #expect(ParseIsolation.needsChild([]))
        }
        ManifestKey.location.withValue(.file(other)) { #expect(ParseIsolation.needsChild([mine])) }
        ManifestKey.location.withValue(.none) { #expect(ParseIsolation.needsChild([mine])) }

        // A signed file changed afterwards (one byte appended) no longer verifies: isolated.
        let changed = dir + "/changed.h5"
        try (Data(contentsOf: URL(fileURLWithPath: mine)) + [0]).write(to: URL(fileURLWithPath: changed))
        ManifestKey.location.withValue(.file(key)) { #expect(ParseIsolation.needsChild([changed])) }
    }
}
