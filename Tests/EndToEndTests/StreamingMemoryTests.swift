import CkptTestSupport
import Ckpt
import Foundation
import Testing

/// `verify`, `inspect --stats` and `diff` stream tensor by tensor: their peak memory (max RSS
/// of the `ckpt` process and its isolated child, from `wait4`) stays near one or two tensors
/// plus the runtime, far below the 256 MiB files they read (before streaming: 2x the file for
/// verify and inspect, both files for diff).
@Suite(.serialized, .enabled(if: Tools.python3 != nil, "python3 (which forks the measured ckpt) is not installed"))
struct StreamingMemoryTests {
    static let tensors = 32
    static let tensorMiB = 8

    /// Two 256 MiB checkpoints (32 float32 tensors of 8 MiB); B differs in every 4th tensor.
    static func writePair(_ dir: String) throws -> (String, String) {
        let n = tensorMiB << 18
        var model = StateDict()
        var changed = StateDict()
        for i in 0..<tensors {
            let t = (0..<n).map { Float(($0 &* 31 &+ i) % 1009) * 0.01 }
            model["layer\(i).weight"] = .tensor(TensorData(shape: [n / 1024, 1024], storage: .float32(t)))
            var u = t
            if i % 4 == 0 { u[i * 1000] += 1 }
            changed["layer\(i).weight"] = .tensor(TensorData(shape: [n / 1024, 1024], storage: .float32(u)))
        }
        let a = dir + "/a.h5", b = dir + "/b.h5"
        try CheckpointFile.save(Checkpoint(model: model), to: a, durable: false)
        try CheckpointFile.save(Checkpoint(model: changed), to: b, durable: false)
        return (a, b)
    }

    /// Exit status and peak RSS in MiB of `ckpt args` (its isolated child included), forked
    /// by a small python3 process: a child spawned from this test process would inherit the
    /// test process's own high-water mark (Linux keeps it across exec).
    static func peak(_ args: [String]) throws -> (status: Int32, mib: Double) {
        let exe = try #require(Binary.path("ckpt"))
        let python = try #require(Tools.python3)
        let script = """
            import os, sys
            pid = os.fork()
            if pid == 0:
                fd = os.open(os.devnull, os.O_WRONLY)
                os.dup2(fd, 1); os.dup2(fd, 2)
                os.execv(sys.argv[1], sys.argv[1:])
            _, status, usage = os.wait4(pid, 0)
            print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
            """
        let r = try Subprocess.run(python, ["-c", script, exe] + args)
        let fields = r.stdout.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        try #require(fields.count == 2, "\(r.output)")
        return (Int32(fields[0]), fields[1] / 1024)  // ru_maxrss is in KiB
    }

    @Test func peakMemoryIsATensorOrTwoNotTheFile() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (a, b) = try Self.writePair(dir)
        let fileMiB = Double(try FileManager.default.attributesOfItem(atPath: a)[.size] as! Int) / 1048576
        #expect(fileMiB > 255)

        let verify = try Self.peak(["verify", a])
        #expect(verify.status == 0)
        let inspect = try Self.peak(["inspect", a, "--stats"])
        #expect(inspect.status == 0)
        let diff = try Self.peak(["diff", a, b])
        #expect(diff.status == 1, "B differs")
        let same = try Self.peak(["diff", a, a])
        #expect(same.status == 0)
        // The runtime takes about 35 MiB; verify adds a chunk buffer per core, inspect one
        // tensor, diff two per file (read, and the one whose hash may still run).
        #expect(verify.mib < 96, "verify: \(verify.mib) MiB for a \(fileMiB) MiB file")
        #expect(inspect.mib < 96, "inspect --stats: \(inspect.mib) MiB for a \(fileMiB) MiB file")
        #expect(diff.mib < 128, "diff: \(diff.mib) MiB for two \(fileMiB) MiB files")
        #expect(same.mib < 128, "diff: \(same.mib) MiB for two \(fileMiB) MiB files")
    }
}
