import CkptCore
import Foundation
import Testing
@testable import CkptFormat

@Suite struct RoundTripTests {
    @Test func sampleCheckpointRoundTripsBitwise() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/a.h5"
        let c = sampleCheckpoint()
        try CheckpointFile.save(c, to: path)
        let back = try CheckpointFile.load(path)
        #expect(sameCheckpoint(c, back))
        #expect(back.metadata.keys.prefix(4) == ["format", "format_version", "created_by", "created_at"])
        #expect(back.metadata["format_version"] == .int(1))
        #expect(back.optimizer?.keys == ["type", "state", "param_groups"])
    }
}
