import CkptCore
import CKernels
import Foundation
import Testing
@_spi(Testing) @testable import CkptFormat
@_spi(Testing) import HDF5

/// The manifest's keyed tag (`ManifestKey`): only files this user's ckpt signed are parsed in
/// the caller's process; unsigned, foreign-keyed and forged files go through the isolated probe.
@Suite struct ManifestSignatureTests {
    /// SipHash-2-4 against the paper's published vectors (key 00..0f, message 00..(n-1)).
    @Test func sipHashMatchesThePublishedVectors() {
        let key = ManifestKey(bytes: Array(0..<16))
        let vectors: [(Int, UInt64)] = [(0, 0x726fdb47dd0e0e31), (1, 0x74f839c593dc67fd),
                                        (8, 0x93f5f5799a932462), (15, 0xa129ca6149be45e5)]
        for (n, expected) in vectors {
            let message = [UInt8]((0..<n).map { UInt8($0) })
            #expect(message.withUnsafeBytes { key.tag([$0]) } == expected, "length \(n)")
        }
        // Split updates give the same tag as one update.
        let message = [UInt8]((0..<15).map { UInt8($0) })
        let split = message.withUnsafeBytes { m in key.tag([UnsafeRawBufferPointer(rebasing: m[0..<3]), UnsafeRawBufferPointer(rebasing: m[3..<11]), UnsafeRawBufferPointer(rebasing: m[11...])]) }
        #expect(split == 0xa129ca6149be45e5)
    }

    private func withKey<T>(_ file: String, _ body: () throws -> T) rethrows -> T {
        try ManifestKey.location.withValue(.file(file), operation: body)
    }

    /// (probes started, checkpoint) for a load under the key at `keyFile` (nil: no key).
    private func load(_ path: String, keyFile: String?) throws -> (Int, Checkpoint) {
        let before = HDF5Probe.count
        let c = try ManifestKey.location.withValue(keyFile.map { .file($0) } ?? ManifestKey.Location.none) {
            try CheckpointFile.load(path)
        }
        return (HDF5Probe.count - before, c)
    }

    @Test func onlyFilesSignedWithThisUsersKeyAreParsedInProcess() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let key = dir + "/keys/manifest.key", other = dir + "/other.key", path = dir + "/a.h5"
        let checkpoint = sampleCheckpoint()
        try withKey(key) { try CheckpointFile.save(checkpoint, to: path, durable: false) }

        // The key was created private to the user, and the manifest carries the tag.
        let attributes = try FileManager.default.attributesOfItem(atPath: key)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.size] as? Int) == 16)
        let head = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)).prefix(512), as: UTF8.self)
        #expect(head.contains("\nmetadata_siphash24 "))

        let (signedProbes, signed) = try load(path, keyFile: key)
        #expect(signedProbes == 0)
        #expect(signed.optimizer == checkpoint.optimizer && signed.progress == checkpoint.progress)  // the model holds NaNs

        // Another user's key (made by a save elsewhere), or none: the same file, isolated.
        try withKey(other) { try CheckpointFile.save(checkpoint, to: dir + "/b.h5", durable: false) }
        let (otherProbes, viaOther) = try load(path, keyFile: other)
        #expect(otherProbes == 1)
        #expect(viaOther.optimizer == checkpoint.optimizer && viaOther.scheduler == checkpoint.scheduler)
        let (noKeyProbes, _) = try load(path, keyFile: nil)
        #expect(noKeyProbes == 1)
    }

    @Test func aKeyFileThatOthersCanReadIsNotUsed() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let key = dir + "/manifest.key", path = dir + "/a.h5"
        try withKey(key) { try CheckpointFile.save(sampleCheckpoint(), to: path, durable: false) }
        chmod(key, 0o644)
        let (probes, _) = try load(path, keyFile: key)
        #expect(probes == 1)
        #expect(withKey(key) { ManifestKey.current(create: true) } == nil)
    }

    @Test func aTagThatDoesNotMatchSendsTheFileToTheProbe() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let key = dir + "/manifest.key", path = dir + "/a.h5"
        try withKey(key) { try CheckpointFile.save(sampleCheckpoint(), to: path, durable: false) }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let marker = Array("metadata_siphash24 ".utf8)
        let at = try #require((0..<512).first { bytes[$0...].starts(with: marker) }) + marker.count
        bytes[at] = bytes[at] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (probes, c) = try load(path, keyFile: key)
        #expect(probes == 1)
        #expect(c.optimizer == sampleCheckpoint().optimizer)
    }

    /// A crafted file that crashes libhdf5 in-process (fuzz/residual), given a manifest whose
    /// XXH64 is correct: without a valid tag it reaches only the probe, and ends as an error.
    @Test func aForgedManifestEndsAsAnErrorNotASignal() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let residual = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fuzz/residual/h5hg-read-oob-18d594")
        let body = [UInt8](try Data(contentsOf: residual))
        let manifest = FileManifest(userBlockSize: 512, fileSize: 512 + body.count,
                                    metadataHash: body.withUnsafeBytes { Checksum.xxh64($0) }, tensorRanges: [])
        let path = dir + "/forged.h5"
        try Data(manifest.encoded() + body).write(to: URL(fileURLWithPath: path))
        #expect(try FileManifest.verify(path) == .verified(signed: false))
        #expect(throws: CheckpointError.self) { try load(path, keyFile: dir + "/manifest.key") }
        // The readers `ckpt inspect` and `verify` use: through the probe as well, never
        // in-process (this input crashes libhdf5 1.10.8: a test process that parsed it died).
        try withKey(dir + "/manifest.key") {
            let before = HDF5Probe.count
            #expect(throws: CheckpointError.self) { try CheckpointFile.loadListingDamage(path) }
            #expect(throws: CheckpointError.self) { try CheckpointFile.isCheckpoint(path) }
            #expect(HDF5Probe.count == before + 2)
        }
    }

    /// A file signed with another user's key: `loadListingDamage` (damaged tensors listed, not
    /// thrown) and `isCheckpoint` (by default) read it through the probe.
    @Test func anotherUsersFileIsReadThroughTheProbe() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/a.h5"
        try withKey(dir + "/theirs.key") { try CheckpointFile.save(sampleCheckpoint(), to: path, durable: false) }
        try withKey(dir + "/mine.key") {
            try CheckpointFile.save(sampleCheckpoint(), to: dir + "/b.h5", durable: false)  // makes this key
            var before = HDF5Probe.count
            #expect(try CheckpointFile.isCheckpoint(path))
            #expect(try CheckpointFile.loadListingDamage(path).damaged.isEmpty)
            #expect(HDF5Probe.count == before + 2)
            before = HDF5Probe.count
            #expect(try CheckpointFile.isCheckpoint(dir + "/b.h5"))
            #expect(try CheckpointFile.loadListingDamage(dir + "/b.h5").damaged.isEmpty)
            #expect(HDF5Probe.count == before)
        }
    }

    @Test(.timeLimit(.minutes(1))) func aFIFOIsRefusedWithoutWaitingForAWriter() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let fifo = dir + "/pipe.h5"
        #expect(mkfifo(fifo, 0o600) == 0)
        let error = #expect(throws: CheckpointError.self) { try CheckpointFile.load(fifo) }
        #expect("\(error.map { String(describing: $0) } ?? "")".contains("FIFO"))
    }
}
