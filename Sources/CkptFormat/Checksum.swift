import CKernels
import CkptCore

/// The per-tensor checksum of format v1: XXH64 (seed 0) of the tensor's raw little-endian,
/// row-major element bytes, written as the string `"xxh64:<16 lowercase hex digits>"`.
/// Python: `"xxh64:" + xxhash.xxh64(array.tobytes()).hexdigest()`.
public enum Checksum {
    public static let algorithm = "xxh64"

    /// XXH64 of `bytes` (seed 0).
    public static func xxh64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        ckpt_xxh64(bytes.baseAddress, bytes.count, 0)
    }

    /// The attribute text for `tensor`.
    public static func of(_ tensor: TensorData) -> String {
        format(tensor.withUnsafeBytes { xxh64($0) })
    }

    public static func format(_ hash: UInt64) -> String {
        let hex = String(hash, radix: 16)
        return "\(algorithm):" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
