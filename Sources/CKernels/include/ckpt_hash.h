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

/// XXH64 over bytes that arrive in chunks (a tensor read piece by piece): `init`, then
/// `stripes` for every chunk but the last (it consumes whole 32-byte stripes only: give it
/// lengths that are multiples of 32), then `final` with the last chunk (any length, may be
/// empty). The result equals `ckpt_xxh64` of all the bytes.
typedef struct {
    uint64_t v1, v2, v3, v4;
    uint64_t seed;
    uint64_t total;
} ckpt_xxh64_state;

void ckpt_xxh64_init(ckpt_xxh64_state *s, uint64_t seed);
void ckpt_xxh64_stripes(ckpt_xxh64_state *s, const void *data, size_t len);
uint64_t ckpt_xxh64_final(ckpt_xxh64_state *s, const void *data, size_t len);

/// `ckpt_xxh64_stripes` over the whole 32-byte stripes of `len` bytes (any `len`: the rest is
/// left for `final`), returning how many of the `len / width` elements of `width` bytes (2, 4
/// or 8; little-endian) have every bit of `mask` set: NaN or infinity when `mask` is the
/// floating-point format's exponent. Another `width`, or `mask` 0: hashes only, returns 0.
/// One pass over the bytes; the same hash state and count on every CPU.
size_t ckpt_xxh64_stripes_nonfinite(ckpt_xxh64_state *s, const void *data, size_t len, int width, uint64_t mask);

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
