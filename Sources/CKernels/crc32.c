// CRC-32 (zip / zlib): slicing-by-8 tables for any CPU, and on x86-64 with PCLMULQDQ the
// folding method of Intel's white paper "Fast CRC Computation for Generic Polynomials Using
// PCLMULQDQ Instruction" (Gopal et al., 2009): four 128-bit lanes folded 64 bytes at a time,
// reduced to one lane, then to 32 bits by Barrett reduction. The constants are
// x^k mod P(x) for the bit-reflected polynomial, as tabulated in that paper.
#include "ckpt_crc32.h"
#include <string.h>

static uint32_t tables[8][256];
static int tables_ready;

static void make_tables(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        tables[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++)
        for (int k = 1; k < 8; k++) tables[k][n] = (tables[k - 1][n] >> 8) ^ tables[0][tables[k - 1][n] & 0xFF];
    __atomic_store_n(&tables_ready, 1, __ATOMIC_RELEASE);
}

// The tables are a pure function of the polynomial: threads racing here write equal values.
static inline void ensure_tables(void) {
    if (!__atomic_load_n(&tables_ready, __ATOMIC_ACQUIRE)) make_tables();
}

// Works on the inverted register (no initial/final inversion).
static uint32_t slice8(uint32_t c, const unsigned char *p, size_t len) {
    while (len >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        lo = __builtin_bswap32(lo);
        hi = __builtin_bswap32(hi);
#endif
        lo ^= c;
        c = tables[7][lo & 0xFF] ^ tables[6][(lo >> 8) & 0xFF] ^ tables[5][(lo >> 16) & 0xFF] ^ tables[4][lo >> 24] ^
            tables[3][hi & 0xFF] ^ tables[2][(hi >> 8) & 0xFF] ^ tables[1][(hi >> 16) & 0xFF] ^ tables[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len--) c = tables[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c;
}

uint32_t ckpt_crc32_portable(uint32_t crc, const void *data, size_t len) {
    ensure_tables();
    return ~slice8(~crc, (const unsigned char *)data, len);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_CLMUL_PATH 1

// Folds the inverted register `c` over `len` bytes, len >= 64 and a multiple of 16.
__attribute__((target("pclmul,sse4.1")))
static uint32_t fold_clmul(uint32_t c, const unsigned char *p, size_t len) {
    // (x^(4*128+32) mod P, x^(4*128-32) mod P): fold 512 bits ahead; likewise for 128 bits;
    // x^64 mod P for the 64 -> 32 step; P and mu = floor(x^64 / P) for Barrett.
    const __m128i k_by4 = _mm_set_epi64x(0x01c6e41596LL, 0x0154442bd4LL);
    const __m128i k_by1 = _mm_set_epi64x(0x00ccaa009eLL, 0x01751997d0LL);
    const __m128i k_64 = _mm_set_epi64x(0, 0x0163cd6124LL);
    const __m128i barrett = _mm_set_epi64x(0x01f7011641LL, 0x01db710641LL);
    const __m128i low32 = _mm_setr_epi32(-1, 0, -1, 0);

    __m128i a = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi32_si128((int)c));
    __m128i b = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i d = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i e = _mm_loadu_si128((const __m128i *)(p + 48));
    p += 64;
    len -= 64;
    while (len >= 64) {
        __m128i a0 = _mm_clmulepi64_si128(a, k_by4, 0x00), a1 = _mm_clmulepi64_si128(a, k_by4, 0x11);
        __m128i b0 = _mm_clmulepi64_si128(b, k_by4, 0x00), b1 = _mm_clmulepi64_si128(b, k_by4, 0x11);
        __m128i d0 = _mm_clmulepi64_si128(d, k_by4, 0x00), d1 = _mm_clmulepi64_si128(d, k_by4, 0x11);
        __m128i e0 = _mm_clmulepi64_si128(e, k_by4, 0x00), e1 = _mm_clmulepi64_si128(e, k_by4, 0x11);
        a = _mm_xor_si128(_mm_xor_si128(a0, a1), _mm_loadu_si128((const __m128i *)p));
        b = _mm_xor_si128(_mm_xor_si128(b0, b1), _mm_loadu_si128((const __m128i *)(p + 16)));
        d = _mm_xor_si128(_mm_xor_si128(d0, d1), _mm_loadu_si128((const __m128i *)(p + 32)));
        e = _mm_xor_si128(_mm_xor_si128(e0, e1), _mm_loadu_si128((const __m128i *)(p + 48)));
        p += 64;
        len -= 64;
    }
    // Four lanes into one, then the remaining 16-byte blocks.
    __m128i x = a;
    __m128i next[3] = {b, d, e};
    for (int i = 0; i < 3; i++) {
        __m128i lo = _mm_clmulepi64_si128(x, k_by1, 0x00), hi = _mm_clmulepi64_si128(x, k_by1, 0x11);
        x = _mm_xor_si128(_mm_xor_si128(lo, hi), next[i]);
    }
    while (len >= 16) {
        __m128i lo = _mm_clmulepi64_si128(x, k_by1, 0x00), hi = _mm_clmulepi64_si128(x, k_by1, 0x11);
        x = _mm_xor_si128(_mm_xor_si128(lo, hi), _mm_loadu_si128((const __m128i *)p));
        p += 16;
        len -= 16;
    }
    // 128 -> 64 bits, then 64 -> 32 bits (still a multiple of P away from the CRC).
    __m128i t = _mm_clmulepi64_si128(x, k_by1, 0x10);
    x = _mm_xor_si128(_mm_srli_si128(x, 8), t);
    t = _mm_srli_si128(x, 4);
    x = _mm_clmulepi64_si128(_mm_and_si128(x, low32), k_64, 0x00);
    x = _mm_xor_si128(x, t);
    // Barrett reduction to the 32-bit remainder.
    t = _mm_clmulepi64_si128(_mm_and_si128(x, low32), barrett, 0x10);
    t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), barrett, 0x00);
    x = _mm_xor_si128(x, t);
    return (uint32_t)_mm_extract_epi32(x, 1);
}

static int clmul_state; // 0 unknown, 1 yes, 2 no

static int has_clmul(void) {
    int s = __atomic_load_n(&clmul_state, __ATOMIC_RELAXED);
    if (s == 0) {
        __builtin_cpu_init();
        s = (__builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1")) ? 1 : 2;
        __atomic_store_n(&clmul_state, s, __ATOMIC_RELAXED);
    }
    return s == 1;
}
#endif

uint32_t ckpt_crc32(uint32_t crc, const void *data, size_t len) {
    const unsigned char *p = (const unsigned char *)data;
    uint32_t c = ~crc;
    ensure_tables();
#ifdef HAVE_CLMUL_PATH
    if (len >= 64 && has_clmul()) {
        size_t body = len & ~(size_t)15;
        c = fold_clmul(c, p, body);
        p += body;
        len -= body;
    }
#endif
    return ~slice8(c, p, len);
}

uint32_t ckpt_crc32_copy(uint32_t crc, void *dst, const void *src, size_t len) {
    const size_t chunk = 64 * 1024;
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    while (len > 0) {
        size_t n = len < chunk ? len : chunk;
        memcpy(d, s, n);
        crc = ckpt_crc32(crc, d, n);
        d += n;
        s += n;
        len -= n;
    }
    return crc;
}
