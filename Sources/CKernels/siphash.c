// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed pseudo-random function over short inputs,
// used to sign the metadata of the checkpoints a user saves (ManifestKey). Written from the
// paper's description; checked against its published test vectors in the tests.
#include "ckpt_hash.h"
#include <string.h>

static inline uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

static inline uint64_t load_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

#define SIPROUND(v0, v1, v2, v3)                                         \
    do {                                                                 \
        v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);        \
        v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                           \
        v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                           \
        v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);        \
    } while (0)

void ckpt_siphash24_init(ckpt_siphash_state *s, const uint8_t key[16]) {
    uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
    s->v[0] = k0 ^ 0x736f6d6570736575ULL;
    s->v[1] = k1 ^ 0x646f72616e646f6dULL;
    s->v[2] = k0 ^ 0x6c7967656e657261ULL;
    s->v[3] = k1 ^ 0x7465646279746573ULL;
    s->length = 0;
    s->pending = 0;
}

static inline void compress(ckpt_siphash_state *s, uint64_t m) {
    uint64_t v0 = s->v[0], v1 = s->v[1], v2 = s->v[2], v3 = s->v[3];
    v3 ^= m;
    SIPROUND(v0, v1, v2, v3);
    SIPROUND(v0, v1, v2, v3);
    v0 ^= m;
    s->v[0] = v0; s->v[1] = v1; s->v[2] = v2; s->v[3] = v3;
}

void ckpt_siphash24_update(ckpt_siphash_state *s, const void *data, size_t len) {
    const uint8_t *p = (const uint8_t *)data;
    s->length += len;
    while (len > 0 && s->pending > 0) {  // complete a partial word first
        s->buffer[s->pending++] = *p++;
        len--;
        if (s->pending == 8) { compress(s, load_le64(s->buffer)); s->pending = 0; }
    }
    while (len >= 8) { compress(s, load_le64(p)); p += 8; len -= 8; }
    while (len > 0) { s->buffer[s->pending++] = *p++; len--; }
}

uint64_t ckpt_siphash24_final(const ckpt_siphash_state *state) {
    ckpt_siphash_state s = *state;
    uint8_t last[8] = {0};
    memcpy(last, s.buffer, s.pending);
    uint64_t b = ((uint64_t)(s.length & 0xff) << 56) | load_le64(last);
    compress(&s, b);
    uint64_t v0 = s.v[0], v1 = s.v[1], v2 = s.v[2] ^ 0xff, v3 = s.v[3];
    SIPROUND(v0, v1, v2, v3);
    SIPROUND(v0, v1, v2, v3);
    SIPROUND(v0, v1, v2, v3);
    SIPROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}
