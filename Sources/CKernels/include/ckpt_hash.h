// XXH64 (xxHash, 64-bit variant, by Yann Collet): the per-tensor checksum of format v1.
// Implemented from the published algorithm description; checked against the reference
// test vectors and python's `xxhash` package in the tests.
#ifndef CKPT_HASH_H
#define CKPT_HASH_H
#include <stddef.h>
#include <stdint.h>

/// XXH64 of `len` bytes at `data` with `seed` (ckpt uses seed 0). Runs at memory speed
/// (several GB/s per core).
uint64_t ckpt_xxh64(const void *data, size_t len, uint64_t seed);

#endif
