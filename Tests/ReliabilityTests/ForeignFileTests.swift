import Ckpt
@_spi(Testing) @testable import CkptFormat
import CkptTestSupport
import Foundation
@_spi(Testing) import HDF5
import Testing

/// Library-level containment: `CheckpointFile.load`, `DataFile.load` and
/// `CheckpointDirectory.newestValid` parse a file that has no valid ckpt manifest only as the
/// copy a forked child rebuilt from it, so a file that crashes libhdf5 1.10.8 in-process
/// (fixtures/hostile/vlen_heap_crash.h5, made by fixtures/make_hostile_fixtures.py) is an
/// error and this test process lives on: the child's global heap check refuses it, and with
/// that check off the child crashes on it. Serialized: the tests fork many probes (the heap
/// check off, copies in other directories: `ForeignFile.options`, on each test's own task).
@Suite(.serialized) struct ForeignFileTests {
    static let crashing = Repository.path("fixtures/hostile/vlen_heap_crash.h5")
    static let badIndex = Repository.path("fixtures/hostile/vlen_bad_index.h5")
    static let h5pyCheckpoint = Repository.path("fixtures/h5py/checkpoint_torch.h5")
    static let h5pyData = Repository.path("fixtures/h5py/data_uint8.h5")

    /// What `HDF5Probe.rebuild` makes of `path` (the copy goes to a scratch file).
    func rebuildOutcome(_ path: String, limits: HDF5Probe.Limits) -> HDF5Probe.Outcome {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        return HDF5Probe.rebuild(path, into: dir + "/copy.h5", limits: limits).outcome
    }

    func expectContainedCrash(_ error: Error?, file: String) {
        guard case CheckpointError.unreadable(let f, "/", let reason)? = error else {
            Issue.record("expected CheckpointError.unreadable naming the file, got \(String(describing: error))")
            return
        }
        #expect(f == file)
        #expect(reason.contains("libhdf5 crashed (signal 11, SIGSEGV)"), "\(reason)")
        #expect(reason.contains("isolated probe") && reason.contains("no ckpt manifest"), "\(reason)")
    }

    /// The fixture really is hostile: the probe's child dies of SIGSEGV inside libhdf5 (so
    /// the tests below would kill the test process if `load` parsed it in-process unprobed).
    @Test func fixtureCrashesLibhdf5InTheProbe() {
        #expect(!CheckpointFile.hasManifest(Self.crashing))
        var limits = HDF5Probe.Limits.forFile(bytes: 8192)
        limits.checkGlobalHeaps = false
        let outcome = rebuildOutcome(Self.crashing, limits: limits)
        #expect(outcome == .crashed(signal: SIGSEGV))
        #expect(outcome.isFatal)
    }

    /// Runs `body` with `ForeignFile.options` changed by `change` (for this test only).
    func withOptions<T>(_ change: (inout ForeignFile.Options) -> Void, _ body: () throws -> T) rethrows -> T {
        var options = ForeignFile.options.get()
        change(&options)
        return try ForeignFile.options.withValue(options, operation: body)
    }

    /// Runs `body` with the probe's global heap check off, so the walk itself meets the crash.
    func withoutHeapCheck(_ body: () throws -> Void) rethrows {
        try withOptions({ $0.checkGlobalHeaps = false }, body)
    }

    /// An object reaching past its heap collection is refused before libhdf5 sees the file:
    /// whether libhdf5's unchecked copy crashes depends on the memory beyond, so surviving a
    /// walk would prove nothing.
    @Test func corruptGlobalHeapIsRefusedOutright() {
        #expect(rebuildOutcome(Self.crashing, limits: .forFile(bytes: 8192)) == .corruptGlobalHeap)
        guard case CheckpointError.unreadable(let f, "/", let reason)? = loadOutcome(Self.crashing) else {
            Issue.record("expected CheckpointError.unreadable")
            return
        }
        #expect(f == Self.crashing)
        #expect(reason.contains("global heap") && reason.contains("isolated probe") && reason.contains("no ckpt manifest"),
                "\(reason)")
    }

    /// A string naming a heap object that does not exist makes libhdf5 read past its object
    /// table, which crashes only sometimes: the probe refuses it by reference, every time.
    @Test func stringNamingAMissingHeapObjectIsRefused() {
        for _ in 0..<3 {
            #expect(rebuildOutcome(Self.badIndex, limits: .forFile(bytes: 8192)) == .corruptGlobalHeap)
        }
        guard case CheckpointError.unreadable(_, "/", let reason)? = loadOutcome(Self.badIndex) else {
            Issue.record("expected CheckpointError.unreadable")
            return
        }
        #expect(reason.contains("global heap") && reason.contains("does not exist"), "\(reason)")
    }

    @Test func loadTurnsALibhdf5CrashIntoAnError() {
        withoutHeapCheck {
            let before = HDF5Probe.count
            expectContainedCrash(loadOutcome(Self.crashing), file: Self.crashing)
            #expect(HDF5Probe.count == before + 1)
            // Without checksum verification too: no manifest vouches for the file either way.
            do {
                _ = try CheckpointFile.load(Self.crashing, verifyChecksums: false)
                Issue.record("loaded a file that crashes libhdf5")
            } catch { expectContainedCrash(error, file: Self.crashing) }
        }
    }

    @Test func dataFileLoadTurnsALibhdf5CrashIntoAnError() throws {
        withoutHeapCheck {
            do {
                _ = try DataFile.load(path: Self.crashing)
                Issue.record("loaded a file that crashes libhdf5")
            } catch { expectContainedCrash(error, file: Self.crashing) }
        }
        // A sound h5py data file still loads (after its probe).
        let before = HDF5Probe.count
        let data = try DataFile.load(path: Self.h5pyData)
        #expect(data.labels.count == 2)
        #expect(HDF5Probe.count == before + 1)
    }

    /// `ckpt resume DIR` loads candidates in-process: the crashing file is skipped, not fatal.
    @Test func newestValidSkipsAFileThatCrashesLibhdf5() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        try FileManager.default.copyItem(atPath: Self.crashing, toPath: dir + "/ckpt-000099.h5")
        #expect(try CheckpointDirectory.newestValid(in: dir) == nil)
        try withoutHeapCheck {
            let newest = try CheckpointDirectory.newestValid(in: dir)
            #expect(newest == nil)
        }
    }

    @Test func foreignH5pyCheckpointStillLoads() throws {
        #expect(!CheckpointFile.hasManifest(Self.h5pyCheckpoint))
        let before = HDF5Probe.count
        let c = try CheckpointFile.load(Self.h5pyCheckpoint)
        #expect(!c.model.isEmpty)
        #expect(HDF5Probe.count == before + 1)
    }

    /// Files `save` wrote are vouched for by their manifest: loading them never forks.
    @Test func fileWithAValidManifestIsNotProbed() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = try tinyRunCheckpoint(in: dir)
        #expect(CheckpointFile.hasManifest(path))
        let before = HDF5Probe.count
        _ = try CheckpointFile.load(path)
        _ = try CheckpointFile.load(path, verifyChecksums: false)
        #expect(HDF5Probe.count == before)
        // A damaged manifest loaded without verification no longer vouches: it is probed.
        var bytes = readBytes(path)
        let layout = try #require(ManifestLayout(bytes))
        bytes[layout.metadataOffsets.last!] ^= 0x01
        writeBytes(bytes, to: path)
        _ = try? CheckpointFile.load(path, verifyChecksums: false)
        #expect(HDF5Probe.count == before + 1)
    }

    /// A child that never finishes is killed at the wall-clock limit (opening a FIFO nobody
    /// writes to blocks forever).
    @Test func probeThatHangsIsKilledAtItsDeadline() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let fifo = dir + "/fifo.h5"
        #expect(mkfifo(fifo, 0o600) == 0)
        var limits = HDF5Probe.Limits.forFile(bytes: 0)
        limits.wallSeconds = 0.3
        #expect(rebuildOutcome(fifo, limits: limits) == .timedOut(seconds: 0.3))
    }

    /// Memory the child cannot have is fatal (the in-process parse would take it unbounded):
    /// here the 256 MiB slice buffer against a 1 MiB allowance.
    @Test func probeOverItsMemoryAllowanceIsFatal() {
        var limits = HDF5Probe.Limits.forFile(bytes: 0)
        limits.extraDataBytes = 1 << 20
        limits.sliceBytes = 256 << 20
        let outcome = rebuildOutcome(Self.h5pyData, limits: limits)
        #expect(outcome == .memoryLimit(bytes: 1 << 20))
        #expect(outcome.isFatal)
    }

    @Test func nonHDF5FilesAreRefusedNotFatal() {
        #expect(rebuildOutcome("/dev/null/none", limits: .forFile(bytes: 0)) == .refused)
        #expect(rebuildOutcome(#filePath, limits: .forFile(bytes: 0)) == .refused)
    }
}
