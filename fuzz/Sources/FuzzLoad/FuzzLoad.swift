#if canImport(Glibc)
import Glibc
#endif
import CFuzzDriver
import CkptFormat

/// libFuzzer entry point: the input bytes are written to a scratch file (in /dev/shm when it
/// exists) and loaded with `CheckpointFile.load`, checksums verified, exactly as `ckpt verify`,
/// `ckpt resume` and `--init-from` load untrusted files. Thrown errors are the expected outcome;
/// libFuzzer reports crashes, hangs (-timeout) and runaway allocations (-rss_limit_mb).
let scratchPath: String = {
    let dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    return "\(dir)/ckpt-fuzz-\(getpid()).h5"
}()

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
    _ = try? CheckpointFile.load(scratchPath)
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
