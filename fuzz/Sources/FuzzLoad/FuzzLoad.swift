#if canImport(Glibc)
import Glibc
#endif
import CFuzzDriver
@_spi(Testing) import CkptFormat

/// libFuzzer entry point: the input bytes are written to a scratch file (in /dev/shm when it
/// exists) and loaded with `CheckpointFile.load`, checksums verified, exactly as `ckpt verify`,
/// `ckpt resume` and `--init-from` load untrusted files. Thrown errors are the expected outcome;
/// libFuzzer reports crashes, hangs (-timeout) and runaway allocations (-rss_limit_mb) of this
/// process. libhdf5 crashing in the isolated probe's child is containment, not a crash here.
let scratchPath: String = {
    let dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    return "\(dir)/ckpt-fuzz-\(getpid()).h5"
}()

/// `CKPT_FUZZ_CONTAINED=DIR`: every input that `load` rejects because libhdf5 crashed or hung
/// on it in the isolated probe, or whose global heap the probe found corrupt, is kept there
/// (`crash-<FNV-1a hash>`, `hang-<hash>`, `heap-<hash>`, `memory-<hash>`), for
/// run.sh to count and replay.
let containedDirectory: String? = getenv("CKPT_FUZZ_CONTAINED").map { String(cString: $0) }

/// Probes of these small inputs get 2 CPU s and 10 s of wall clock (below libFuzzer's -timeout,
/// so a hang inside libhdf5 is contained by the probe, not reported as a timeout of this
/// process; a sound 64 KiB file takes milliseconds).
let probeOptions = ForeignFile.Options(maxCPUSeconds: 2, maxWallSeconds: 10)

func keepContained(_ data: UnsafePointer<UInt8>, _ size: Int, kind: String) {
    guard let dir = containedDirectory else { return }
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for i in 0..<size { h = (h ^ UInt64(data[i])) &* 0x100_0000_01b3 }
    let fd = open("\(dir)/\(kind)-\(String(h, radix: 16))", O_CREAT | O_TRUNC | O_WRONLY, 0o600)
    guard fd >= 0 else { return }
    _ = write(fd, data, size)
    close(fd)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLoad(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let fd = open(scratchPath, O_CREAT | O_TRUNC | O_WRONLY, 0o600)
    guard fd >= 0 else { return 0 }
    var done = 0
    while done < size {
        let n = write(fd, data + done, size - done)
        if n <= 0 { break }
        done += n
    }
    close(fd)
    do {
        _ = try ForeignFile.options.withValue(probeOptions) { try CheckpointFile.load(scratchPath) }
    } catch let e as CheckpointError {
        if case .unreadable(_, _, let reason) = e, reason.contains("isolated probe") {
            keepContained(data, size, kind: reason.contains("crashed") ? "crash" : reason.contains("global heap") ? "heap"
                                : reason.contains("memory") ? "memory" : "hang")
        }
    } catch {}
    return 0
}

/// SwiftPM links executables with `main` aliased to `<module>_main`, which keeps libFuzzer's own
/// `main` out of the link; this entry point runs libFuzzer's driver instead.
@_cdecl("fuzz_load_main")
public func fuzzLoadMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v) { data, size in fuzzLoad(data, size) }
}
