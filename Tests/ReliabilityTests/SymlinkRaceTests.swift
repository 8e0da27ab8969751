import Ckpt
import Foundation
import Testing

/// Issue 15, part 1: someone who can write into the run directory swaps a save's temporary
/// for a symlink to a victim file while the save runs. The save must never write through
/// it: the victim stays byte for byte, and the checkpoint's name ends up holding the real
/// file (or the save fails with an error), never a symlink.
@Suite struct SymlinkRaceTests {
    /// A victim file outside the run directory and its bytes.
    struct Victim {
        let path: String
        let bytes: [UInt8]
        init(in dir: String) {
            path = dir + "/victim.txt"
            bytes = Array("precious bytes that ckpt must never overwrite\n".utf8)
            writeBytes(bytes, to: path)
        }
        var untouched: Bool { readBytes(path) == bytes }
    }

    func checkpoint() -> Checkpoint {
        var model = StateDict()
        for i in 0..<3 {
            model["layer\(i).weight"] = .tensor(TensorData(shape: [64, 16], storage: .float32((0..<1024).map { Float($0 % 13 + i) })))
        }
        return Checkpoint(metadata: ["note": .string("race")], model: model)
    }

    func isSymlink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK
    }

    func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFREG
    }

    /// The attacker's move: the temporary's entry is renamed away and a symlink to `target`
    /// takes its name. Runs on its own thread, started by the save's seam at `step`; the save
    /// waits until the swap is done.
    func swapOnAThread(at step: SaveStep, pointingTo target: String, swaps: Counter) -> SaveHooks {
        SaveHooks { current, temporary in
            guard current == step else { return }
            let done = DispatchSemaphore(value: 0)
            Thread {
                if rename(temporary, temporary + ".moved") == 0, symlink(target, temporary) == 0 { swaps.add() }
                done.signal()
            }.start()
            done.wait()
        }
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func add() { lock.lock(); n += 1; lock.unlock() }
        var value: Int { lock.lock(); defer { lock.unlock() }; return n }
    }

    @Test(arguments: SaveStep.allCases)
    func checkpointSaveIgnoresASwappedTemporary(step: SaveStep) throws {
        let dir = makeScratchDirectory(), outside = makeScratchDirectory()
        defer { removeDirectory(dir); removeDirectory(outside) }
        let victim = Victim(in: outside)
        let path = dir + "/epoch-1.h5"
        let swaps = Counter()
        let c = checkpoint()
        try CheckpointFile.save(c, to: path, hooks: swapOnAThread(at: step, pointingTo: victim.path, swaps: swaps))
        #expect(swaps.value == 1, "the attacker's swap happened")
        #expect(victim.untouched)
        #expect(isRegularFile(path), "the checkpoint's name holds a regular file, not a symlink")
        let back = try CheckpointFile.load(path)
        #expect(back.model == c.model)
    }

    /// A symlink to a directory: nothing may be created in it either.
    @Test(arguments: [SaveStep.temporaryCreated, .contentPartlyWritten, .contentWritten])
    func noFileAppearsInADirectoryTheSwapPointsTo(step: SaveStep) throws {
        let dir = makeScratchDirectory(), outside = makeScratchDirectory()
        defer { removeDirectory(dir); removeDirectory(outside) }
        let swaps = Counter()
        try CheckpointFile.save(checkpoint(), to: dir + "/c.h5", hooks: swapOnAThread(at: step, pointingTo: outside, swaps: swaps))
        #expect(swaps.value == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside) == [])
        #expect(isRegularFile(dir + "/c.h5"))
    }

    /// Every other file ckpt writes (safetensors, SVG charts) takes the same path.
    @Test(arguments: SaveStep.allCases.filter { $0 != .contentPartlyWritten && $0 != .contentWritten })
    func plainFileWriteIgnoresASwappedTemporary(step: SaveStep) throws {
        let dir = makeScratchDirectory(), outside = makeScratchDirectory()
        defer { removeDirectory(dir); removeDirectory(outside) }
        let victim = Victim(in: outside)
        let swaps = Counter()
        let svg = Array("<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n".utf8)
        try AtomicFile.write(svg, to: dir + "/lr.svg", hooks: swapOnAThread(at: step, pointingTo: victim.path, swaps: swaps))
        #expect(swaps.value == 1)
        #expect(victim.untouched)
        #expect(isRegularFile(dir + "/lr.svg") && readBytes(dir + "/lr.svg") == svg)
    }

    /// The private directory is the premise of the design: only its owner may change its entries.
    @Test func theTemporaryIsAPrivateDirectory() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let seen = Counter()
        try CheckpointFile.save(checkpoint(), to: dir + "/c.h5", hooks: SaveHooks { step, temporary in
            guard step == .contentPartlyWritten else { return }
            var st = stat()
            if lstat(temporary, &st) == 0, st.st_mode & S_IFMT == S_IFDIR, st.st_mode & 0o777 == 0o700, st.st_uid == geteuid(),
               (temporary as NSString).lastPathComponent.hasPrefix(".c.h5.partial-") {
                seen.add()
            }
        })
        #expect(seen.value == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["c.h5"], "no temporary is left")
    }

    /// What sits at the target's name is replaced only when it is a regular file: a symlink
    /// there is refused (and left as it is), never followed.
    @Test func aSymlinkAtTheTargetIsRefused() throws {
        let dir = makeScratchDirectory(), outside = makeScratchDirectory()
        defer { removeDirectory(dir); removeDirectory(outside) }
        let victim = Victim(in: outside)
        let path = dir + "/epoch-2.h5"
        #expect(symlink(victim.path, path) == 0)
        do {
            try CheckpointFile.save(checkpoint(), to: path)
            Issue.record("a save over a symlink succeeded")
        } catch let e as CheckpointError {
            #expect(e.description.contains(path) && e.description.contains("is a symbolic link"), "\(e)")
        }
        #expect(victim.untouched)
        #expect(isSymlink(path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["epoch-2.h5"], "no temporary is left")
    }

    @Test func aDirectoryAtTheTargetIsRefused() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        try FileManager.default.createDirectory(atPath: dir + "/x.svg", withIntermediateDirectories: false)
        #expect(throws: CheckpointError.self) { try AtomicFile.write("<svg/>", to: dir + "/x.svg") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["x.svg"])
    }

    /// The issue's attacker, without any seam: a thread polls the directory and swaps every
    /// temporary it sees for a symlink to the victim while saves run back to back.
    @Test func aPollingAttackerNeverWinsAgainst40Saves() throws {
        let dir = makeScratchDirectory(), outside = makeScratchDirectory()
        defer { removeDirectory(dir); removeDirectory(outside) }
        let victim = Victim(in: outside)
        let stop = Counter(), swaps = Counter()
        let finished = DispatchSemaphore(value: 0)
        Thread {
            while stop.value == 0 {
                for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
                where name.contains(".partial-") && !name.hasSuffix(".moved") {
                    let p = dir + "/" + name
                    if !isSymlink(p), rename(p, p + ".moved") == 0, symlink(victim.path, p) == 0 { swaps.add() }
                }
            }
            finished.signal()
        }.start()
        var saved = 0, failed: [String] = []
        let c = checkpoint()
        for i in 0..<40 {
            let path = dir + "/step-\(i).h5"
            do {
                try CheckpointFile.save(c, to: path)
                saved += 1
                #expect(isRegularFile(path), "step-\(i).h5 is a regular file")
            } catch {
                failed.append("\(error)")
            }
        }
        stop.add()
        finished.wait()
        #expect(victim.untouched)
        #expect(swaps.value > 0, "the attacker never saw a temporary")
        #expect(saved == 40, "\(failed)")
        for i in 0..<40 where isRegularFile(dir + "/step-\(i).h5") {
            #expect(try CheckpointFile.load(dir + "/step-\(i).h5").model == c.model)
        }
    }
}
