import CFuzzDriver
import CkptFormat

/// libFuzzer entry point for the torch.save reader alone: the input bytes, in memory, go
/// through `TorchFile.read(bytes:file:)` (zip validation, the restricted unpickler, tensor
/// materialisation). Thrown errors are the expected outcome; libFuzzer reports crashes, hangs
/// (-timeout) and runaway allocations (-rss_limit_mb) of this process.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTorch(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    _ = try? TorchFile.read(bytes: bytes, file: "fuzz.pt")
    return 0
}

@_cdecl("fuzz_torch_main")
public func fuzzTorchMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v) { data, size in fuzzTorch(data, size) }
}
