import CKernels

/// CRC-32 as zip stores it (ISO 3309 / ITU-T V.42, reflected polynomial 0xEDB88320, zlib's
/// `crc32`), to check each entry's bytes against its central-directory CRC and to write it for
/// the entries ckpt stores. The work is `ckpt_crc32` in CKernels: carry-less-multiply folding
/// where the CPU has it (several GB/s), slicing-by-8 tables elsewhere. The readers and the
/// writer run it over each chunk of a tensor while that chunk is in cache (one pass over the
/// data, not a copy then a checksum).
enum CRC32 {
    /// Continues `crc` (0 to start) over `bytes`.
    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return ckpt_crc32(crc, base, bytes.count)
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { update(0, $0) } }

    /// The portable table path alone (tests compare it with the folding path).
    static func portable(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return ckpt_crc32_portable(crc, base, bytes.count)
    }

    /// Bytes handled per step by the one-pass readers and writer: small enough that a chunk
    /// just read or about to be written is still in the L2 cache when it is checksummed.
    static let chunk = 256 << 10
}
