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

/// SipHash-2-4 with a 128-bit key: the keyed tag of a checkpoint's metadata (ManifestKey).
/// Streaming: init, update any number of times, final (which leaves the state usable).
typedef struct {
    uint64_t v[4];
    uint64_t length;
    uint8_t buffer[8];
    size_t pending;
} ckpt_siphash_state;

void ckpt_siphash24_init(ckpt_siphash_state *state, const uint8_t key[16]);
void ckpt_siphash24_update(ckpt_siphash_state *state, const void *data, size_t len);
uint64_t ckpt_siphash24_final(const ckpt_siphash_state *state);

#endif
