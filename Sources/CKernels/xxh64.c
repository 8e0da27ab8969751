// XXH64 from the algorithm's specification (xxhash_spec.md): four 64-bit lanes over 32-byte
// stripes, then merge, tail and avalanche. Little-endian loads via memcpy.
#include "ckpt_hash.h"
#include "xxh64_round.h"

static inline uint64_t merge64(uint64_t acc, uint64_t val) {
    acc ^= round64(0, val);
    return acc * P1 + P4;
}

// Streaming form (a tensor read in chunks): init + stripes + final over any split of the bytes
// equals ckpt_xxh64 of them all.
void ckpt_xxh64_init(ckpt_xxh64_state *s, uint64_t seed) {
    s->v1 = seed + P1 + P2;
    s->v2 = seed + P2;
    s->v3 = seed;
    s->v4 = seed - P1;
    s->seed = seed;
    s->total = 0;
}

static inline void stripes(ckpt_xxh64_state *s, const unsigned char *p, size_t n) {
    uint64_t v1 = s->v1, v2 = s->v2, v3 = s->v3, v4 = s->v4;
    for (const unsigned char *end = p + n; p < end; p += 32) {
        v1 = round64(v1, read64(p));
        v2 = round64(v2, read64(p + 8));
        v3 = round64(v3, read64(p + 16));
        v4 = round64(v4, read64(p + 24));
    }
    s->v1 = v1; s->v2 = v2; s->v3 = v3; s->v4 = v4;
}

void ckpt_xxh64_stripes(ckpt_xxh64_state *s, const void *data, size_t len) {
    size_t n = len & ~(size_t)31;
    stripes(s, (const unsigned char *)data, n);
    s->total += n;
}

uint64_t ckpt_xxh64_final(ckpt_xxh64_state *s, const void *data, size_t len) {
    const unsigned char *p = (const unsigned char *)data;
    size_t whole = len & ~(size_t)31;
    stripes(s, p, whole);
    p += whole;
    uint64_t total = s->total + len;
    uint64_t h;
    if (total >= 32) {
        h = rotl(s->v1, 1) + rotl(s->v2, 7) + rotl(s->v3, 12) + rotl(s->v4, 18);
        h = merge64(h, s->v1);
        h = merge64(h, s->v2);
        h = merge64(h, s->v3);
        h = merge64(h, s->v4);
    } else {
        h = s->seed + P5;
    }
    h += total;
    const unsigned char *end = (const unsigned char *)data + len;
    while (p + 8 <= end) {
        h ^= round64(0, read64(p));
        h = rotl(h, 27) * P1 + P4;
        p += 8;
    }
    if (p + 4 <= end) {
        h ^= (uint64_t)read32(p) * P1;
        h = rotl(h, 23) * P2 + P3;
        p += 4;
    }
    while (p < end) {
        h ^= (*p) * P5;
        h = rotl(h, 11) * P1;
        p++;
    }
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}

// The one-shot form is the streaming form over one chunk: one copy of the merge and tail.
uint64_t ckpt_xxh64(const void *data, size_t len, uint64_t seed) {
    ckpt_xxh64_state s;
    ckpt_xxh64_init(&s, seed);
    return ckpt_xxh64_final(&s, data, len);
}
