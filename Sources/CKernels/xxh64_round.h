// XXH64's primes and its round (private to CKernels): shared by the one-shot and streaming hash
// (xxh64.c) and the pass that also counts NaN and infinity (xxh64_nonfinite.c), so both compute
// the very same lanes.
#ifndef CKPT_XXH64_ROUND_H
#define CKPT_XXH64_ROUND_H
#include <stdint.h>
#include <string.h>

static const uint64_t P1 = 0x9E3779B185EBCA87ULL;
static const uint64_t P2 = 0xC2B2AE3D27D4EB4FULL;
static const uint64_t P3 = 0x165667B19E3779F9ULL;
static const uint64_t P4 = 0x85EBCA77C2B2AE63ULL;
static const uint64_t P5 = 0x27D4EB2F165667C5ULL;

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// Little-endian loads via memcpy; a big-endian CPU swaps.
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define FROM_LE64(v) __builtin_bswap64(v)
#define FROM_LE32(v) __builtin_bswap32(v)
#else
#define FROM_LE64(v) (v)
#define FROM_LE32(v) (v)
#endif

static inline uint64_t read64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return FROM_LE64(v); }
static inline uint32_t read32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return FROM_LE32(v); }

static inline uint64_t round64(uint64_t acc, uint64_t input) {
    acc += input * P2;
    acc = rotl(acc, 31);
    return acc * P1;
}

#endif
