import CFuzzDriver
import CkptFormat

/// libFuzzer entry point for the pickle readers: input bytes starting as a zip go through
/// `TorchFile.read(bytes:file:)` (zip validation, the restricted unpickler, tensor
/// materialisation), any other input through the DCP `.metadata` reader
/// (`DCPDirectory.parseMetadata`: the same unpickler with DCP's allowlist). Thrown errors are
/// the expected outcome; libFuzzer reports crashes, hangs (-timeout) and runaway allocations
/// (-rss_limit_mb) of this process.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTorch(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    if bytes.starts(with: [0x50, 0x4B]) {
        _ = try? TorchFile.read(bytes: bytes, file: "fuzz.pt")
    } else {
        _ = try? DCPDirectory.parseMetadata(bytes: bytes, dir: "fuzz")
    }
    return 0
}

@_cdecl("fuzz_torch_main")
public func fuzzTorchMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v) { data, size in fuzzTorch(data, size) }
}
