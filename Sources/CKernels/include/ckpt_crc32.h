// CRC-32 as zip and zlib define it (reflected polynomial 0xEDB88320, initial and final
// inversion): the per-entry checksum of a `torch.save` file. Checked against the standard
// check value ("123456789" -> 0xCBF43926) and python's zlib.crc32 in the tests.
#ifndef CKPT_CRC32_H
#define CKPT_CRC32_H
#include <stddef.h>
#include <stdint.h>

/// Continues `crc` (0 to start) over `len` bytes at `data`, as zlib's `crc32(crc, data, len)`.
/// Carry-less multiplication (PCLMULQDQ) folding where the CPU has it, chosen at run time;
/// slicing-by-8 tables otherwise (and for short inputs).
uint32_t ckpt_crc32(uint32_t crc, const void *data, size_t len);

/// The portable slicing-by-8 path alone (the tests compare both paths).
uint32_t ckpt_crc32_portable(uint32_t crc, const void *data, size_t len);

/// Copies `len` bytes from `src` to `dst` (not overlapping) and returns the CRC of them
/// continued from `crc`, in one pass: the bytes are checksummed while they are in cache
/// (chunks of 64 KiB), instead of a second walk over memory.
uint32_t ckpt_crc32_copy(uint32_t crc, void *dst, const void *src, size_t len);

#endif
