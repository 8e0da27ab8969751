import Ckpt
import CkptFormat
import Foundation
import Testing

/// A save killed with `kill -9` leaves its temporary `.<name>.partial-<random>` behind; the
/// next run writing into that directory removes it. A temporary is recognised as stale by
/// its free lock (the writer holds an `flock` on it for the save's whole life), never by a
/// pid, so a live writer in another pid namespace or on another host keeps its temporary.
/// `flock` locks belong to an open file description, so a second `open` + `flock` in this
/// process conflicts exactly as another process's would.
@Suite struct StaleTemporaryTests {
    /// bench-io doubles as a writer in another process (`--write-sample PATH --pause-mid-save
    /// MARKER` stops mid-save with its lock held).
    static let benchIO: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return ["release", "debug"].map { root.appendingPathComponent(".build/\($0)/bench-io").path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    func names(_ dir: String) -> Set<String> { Set((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []) }

    /// A temporary as `AtomicFile` lays it out: a 0700 directory with `lock` and `content`.
    func makePrivateTemporary(_ path: String) {
        mkdir(path, 0o700)
        writeBytes([0], to: path + "/lock")
        writeBytes([1, 2, 3], to: path + "/content")
    }

    /// Opens `path` and takes its flock as another writer would: a new open file description.
    func holdLock(_ path: String) -> Int32 {
        let fd = open(path, O_RDWR)
        #expect(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        return fd
    }

    @Test func aTemporaryWithAHeldLockIsKeptAndWithAFreeLockRemoved() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let stale = dir + "/.epoch-1.h5.partial-1a2b3c"
        let live = dir + "/.epoch-2.h5.partial-4d5e6f"
        makePrivateTemporary(stale)
        makePrivateTemporary(live)
        let held = holdLock(live + "/lock")
        defer { close(held) }
        #expect(CheckpointFile.removeStaleTemporaries(in: dir) == [stale])
        #expect(names(dir) == [".epoch-2.h5.partial-4d5e6f"])
        #expect(names(live) == ["lock", "content"], "a live writer's temporary keeps its files")
        close(held)
        #expect(CheckpointFile.removeStaleTemporaries(in: dir) == [live])
        #expect(names(dir).isEmpty)
    }

    /// Pid-named plain-file temporaries of earlier versions: their lock decides too (libhdf5
    /// itself flocks the file it writes), whatever pid the name holds.
    @Test func plainFileTemporariesAreJudgedByTheirLock() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let free = dir + "/.epoch-1.h5.partial-\(getpid())-1a2b3c"
        let locked = dir + "/.epoch-2.h5.partial-999999-4d5e6f"
        let unrelated = [dir + "/.hidden", dir + "/epoch-1.h5"]
        for f in [free, locked] + unrelated { writeBytes([1, 2, 3], to: f) }
        let held = holdLock(locked)
        defer { close(held) }
        #expect(CheckpointFile.removeStaleTemporaries(in: dir) == [free])
        #expect(names(dir) == Set(([locked] + unrelated).map { ($0 as NSString).lastPathComponent }))
    }

    /// Nothing is followed: a symlink named like a temporary stays, and so does its target; a
    /// symlink planted inside a stale temporary is removed as a link, its target untouched.
    @Test func cleanupFollowsNoSymlink() throws {
        let dir = makeScratchDirectory(), outside = makeScratchDirectory()
        defer { removeDirectory(dir); removeDirectory(outside) }
        let victim = outside + "/victim"
        writeBytes([9, 9, 9], to: victim)
        #expect(symlink(victim, dir + "/.a.h5.partial-1") == 0)
        #expect(symlink(outside, dir + "/.b.h5.partial-2") == 0)
        let stale = dir + "/.c.h5.partial-3"
        makePrivateTemporary(stale)
        #expect(symlink(victim, stale + "/planted") == 0)
        #expect(CheckpointFile.removeStaleTemporaries(in: dir) == [stale])
        #expect(names(dir) == [".a.h5.partial-1", ".b.h5.partial-2"])
        #expect(readBytes(victim) == [9, 9, 9])
        #expect(names(outside) == ["victim"])
    }

    /// A temporary directory without a lock file (a writer between mkdir and its lock, or
    /// killed there) goes only while empty: a writer that has written anything never loses it.
    @Test func aTemporaryWithoutLockIsRemovedOnlyWhenEmpty() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let empty = dir + "/.a.h5.partial-1"
        let full = dir + "/.b.h5.partial-2"
        mkdir(empty, 0o700)
        mkdir(full, 0o700)
        writeBytes([1], to: full + "/content")
        #expect(CheckpointFile.removeStaleTemporaries(in: dir) == [empty])
        #expect(names(dir) == [".b.h5.partial-2"])
    }

    /// A cleaner running while a save is in progress (here: from the save's own seam, with
    /// its own open file description) keeps that save's temporary, and the save completes.
    @Test func aSaveInProgressIsNeverCleanedUp() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        final class Box: @unchecked Sendable { var removed: [[String]] = [] }
        let box = Box()
        var model = StateDict()
        model["w"] = .tensor(TensorData(shape: [4], storage: .float32([1, 2, 3, 4])))
        try CheckpointFile.save(Checkpoint(model: model), to: dir + "/c.h5", hooks: SaveHooks { _, _ in
            box.removed.append(CheckpointFile.removeStaleTemporaries(in: dir))
        })
        #expect(box.removed.count == SaveStep.allCases.count && box.removed.allSatisfy(\.isEmpty), "\(box.removed)")
        #expect(try CheckpointFile.load(dir + "/c.h5").model == model)
        #expect(names(dir) == ["c.h5"])
    }

    /// Another process paused mid-save holds its lock: its temporary is kept. Killed with
    /// SIGKILL, the lock is free and the temporary goes.
    @Test(.enabled(if: benchIO != nil, "bench-io is not built (swift build -c release --product bench-io)"))
    func anotherProcessesSaveIsKeptUntilItDies() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let marker = dir + "/marker"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.benchIO!)
        p.arguments = ["--write-sample", dir + "/run.h5", "--pause-mid-save", marker]
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: marker), Date() < deadline, p.isRunning { usleep(10_000) }
        #expect(FileManager.default.fileExists(atPath: marker), "the writer never reached the middle of its save")
        let temporaries = names(dir).filter { CheckpointFile.isTemporary($0) }
        #expect(temporaries.count == 1)
        #expect(CheckpointFile.removeStaleTemporaries(in: dir).isEmpty, "a live writer's temporary is kept")
        #expect(names(dir).filter { CheckpointFile.isTemporary($0) } == temporaries)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(CheckpointFile.removeStaleTemporaries(in: dir) == temporaries.map { dir + "/" + $0 })
        #expect(names(dir) == ["marker"])
    }

    /// The trainer sweeps its directory when a run starts (as `ckpt train` / `resume` do).
    @Test func trainingIntoADirectoryRemovesStaleTemporaries() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let stale = dir + "/.step-4.h5.partial-abc"
        makePrivateTemporary(stale)
        let config = try RunConfig(json: """
            {"model": {"type": "mlp", "sizes": [3072, 2, 10]},
             "data": {"dataset": "synthetic", "train_size": 4, "test_size": 0, "batch_size": 4},
             "optimizer": {"type": "SGD", "lr": 0.1}, "epochs": 1, "seed": 1}
            """)
        _ = try Trainer(directory: dir).train(try Run(config: config))
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: dir + "/epoch-1.h5"))
    }
}
