// The ordered matrix product of matmul_kernels.h. Every C[i, j] is one fmaf chain over kk in
// ascending order from 0.0f; any loop nest that keeps that per-element chain gives the same
// bits (fmaf is exactly rounded), so the loops are arranged for speed around it:
//
// - FMA path: register blocking. A micro-kernel holds a tile of MR rows × NR columns of C in
//   vector accumulators and runs kk innermost, one broadcast A[i, kk] times one row of B per
//   step. k is cut into KC-long blocks; between blocks a tile is stored to C and reloaded
//   (float32 to float32, exact), so the chain simply resumes. Each KC × NC block of B is first
//   copied into NR-wide contiguous strips (zero-padded past n: those lanes are computed and
//   dropped), because B's rows are n floats apart and power-of-two strides thrash the cache.
//   Row (m) and column (n) edges use the same micro-kernel with fewer rows and masked columns.
// - bfloat16 path (Muon's inputs are all bfloat16 values): the same blocking with VDPBF16PS,
//   which continues each chain by two fmaf steps per instruction; exact only for inputs that
//   bf16_exact accepts, which the dispatcher checks (see matmul_bf16 for why).
// - Portable path: the plain i, kk, j loop (the reference the FMA path must match bit for bit).
//
// Built with -ffp-contract=off; the vector paths use explicit fused operations only.
#include "matmul_kernels.h"
#include "CKernels.h"
#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "kernel_target.h"

ALWAYS_INLINE void matmul_body(const float *restrict a, size_t lda, const float *restrict b, size_t ldb,
                               float *restrict c, size_t ldc, size_t m, size_t n, size_t k) {
    for (size_t i = 0; i < m; i++) {
        float *restrict row = c + i * ldc;
        for (size_t j = 0; j < n; j++) row[j] = 0.0f;
        for (size_t kk = 0; kk < k; kk++) {
            const float x = a[i * lda + kk];
            const float *restrict brow = b + kk * ldb;
            for (size_t j = 0; j < n; j++) row[j] = fmaf(x, brow[j], row[j]);
        }
    }
}

static void matmul_portable(const float *a, size_t lda, const float *b, size_t ldb, float *c, size_t ldc,
                            size_t m, size_t n, size_t k) {
    matmul_body(a, lda, b, ldb, c, ldc, m, n, k);
}

#ifdef CKPT_X86
#include <immintrin.h>

enum { MR = 6, NR = 16, KC = 256, NC = 512 };

/// C[0..mr, 0..NR] (row stride ldc) continued by the kc steps A[r, kk] · strip[kk, :]:
/// started from zero when `first`, else from C's current values. Columns from `cols` on
/// (cols < NR only at the right edge) are neither loaded nor stored.
FMA_TARGET ALWAYS_INLINE void micro_avx2(int mr, const float *a, size_t lda, const float *strip, size_t kc,
                                         float *c, size_t ldc, int first, size_t cols) {
    __m256 lo[MR], hi[MR];
    const int full = cols == NR;
    // Lane masks for the edge: lane l is live when l < cols (maskload/maskstore read the sign).
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mlo = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)cols), lanes);
    const __m256i mhi = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)cols - 8), lanes);
    for (int r = 0; r < mr; r++) {
        if (first) {
            lo[r] = _mm256_setzero_ps(); hi[r] = _mm256_setzero_ps();
        } else if (full) {
            lo[r] = _mm256_loadu_ps(c + r * ldc); hi[r] = _mm256_loadu_ps(c + r * ldc + 8);
        } else {
            lo[r] = _mm256_maskload_ps(c + r * ldc, mlo); hi[r] = _mm256_maskload_ps(c + r * ldc + 8, mhi);
        }
    }
    for (size_t kk = 0; kk < kc; kk++) {
        const __m256 b0 = _mm256_load_ps(strip + kk * NR), b1 = _mm256_load_ps(strip + kk * NR + 8);
        for (int r = 0; r < mr; r++) {
            const __m256 x = _mm256_broadcast_ss(a + r * lda + kk);
            lo[r] = _mm256_fmadd_ps(x, b0, lo[r]);
            hi[r] = _mm256_fmadd_ps(x, b1, hi[r]);
        }
    }
    for (int r = 0; r < mr; r++) {
        if (full) {
            _mm256_storeu_ps(c + r * ldc, lo[r]); _mm256_storeu_ps(c + r * ldc + 8, hi[r]);
        } else {
            _mm256_maskstore_ps(c + r * ldc, mlo, lo[r]); _mm256_maskstore_ps(c + r * ldc + 8, mhi, hi[r]);
        }
    }
}

/// micro_avx2 with mr a constant, so each row count gets its own fully unrolled copy.
FMA_TARGET static void micro_rows_avx2(int mr, const float *a, size_t lda, const float *strip, size_t kc,
                                       float *c, size_t ldc, int first, size_t cols) {
    switch (mr) {
    case 6: micro_avx2(6, a, lda, strip, kc, c, ldc, first, cols); break;
    case 5: micro_avx2(5, a, lda, strip, kc, c, ldc, first, cols); break;
    case 4: micro_avx2(4, a, lda, strip, kc, c, ldc, first, cols); break;
    case 3: micro_avx2(3, a, lda, strip, kc, c, ldc, first, cols); break;
    case 2: micro_avx2(2, a, lda, strip, kc, c, ldc, first, cols); break;
    default: micro_avx2(1, a, lda, strip, kc, c, ldc, first, cols); break;
    }
}

/// B[k0 .. k0+kc, j0 .. j0+nc] as NR-wide strips, each kc × NR contiguous, zero past n.
static void pack_b(const float *b, size_t ldb, size_t k0, size_t kc, size_t j0, size_t nc, float *buf) {
    for (size_t s = 0; s * NR < nc; s++) {
        const size_t j = j0 + s * NR, w = nc - s * NR < NR ? nc - s * NR : NR;
        float *dst = buf + s * kc * NR;
        for (size_t kk = 0; kk < kc; kk++) {
            memcpy(dst + kk * NR, b + (k0 + kk) * ldb + j, w * sizeof(float));
            for (size_t l = w; l < NR; l++) dst[kk * NR + l] = 0.0f;
        }
    }
}

/// The blocked product; returns 0 when the strip buffer cannot be allocated.
FMA_TARGET static int matmul_avx2(const float *a, size_t lda, const float *b, size_t ldb, float *c, size_t ldc,
                                  size_t m, size_t n, size_t k) {
    if (k == 0) {
        for (size_t i = 0; i < m; i++) memset(c + i * ldc, 0, n * sizeof(float));
        return 1;
    }
    float *buf = aligned_alloc(64, (size_t)KC * NC * sizeof(float));
    if (!buf) return 0;
    for (size_t j0 = 0; j0 < n; j0 += NC) {
        const size_t nc = n - j0 < NC ? n - j0 : NC;
        for (size_t k0 = 0; k0 < k; k0 += KC) {
            const size_t kc = k - k0 < KC ? k - k0 : KC;
            pack_b(b, ldb, k0, kc, j0, nc, buf);
            for (size_t i0 = 0; i0 < m; i0 += MR) {
                const int mr = m - i0 < MR ? (int)(m - i0) : MR;
                for (size_t s = 0; s * NR < nc; s++) {
                    const size_t cols = nc - s * NR < NR ? nc - s * NR : NR;
                    micro_rows_avx2(mr, a + i0 * lda + k0, lda, buf + s * kc * NR, kc,
                                    c + i0 * ldc + j0 + s * NR, ldc, k0 == 0, cols);
                }
            }
        }
    }
    free(buf);
    return 1;
}

/// 1 when the CPU runs AVX-512 bfloat16 dot products (VDPBF16PS), asked once per process.
static int cpu_bf16_cached(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
    }
    return cached;
}

#define BF16_TARGET __attribute__((target("avx512f,avx512bf16")))

/// 1 when every value is 0 or a bfloat16 value (low 16 bits zero) of magnitude in
/// [2^-55, 2^50): then VDPBF16PS computes the fmaf chain exactly (see matmul_bf16).
BF16_TARGET static int bf16_exact(const float *x, size_t count) {
    uint32_t bad = 0;
    for (size_t i = 0; i < count; i++) {  // branch-free, so that it vectorizes
        uint32_t u;
        memcpy(&u, x + i, sizeof u);
        const uint32_t e = (u >> 23) & 0xFF, nonzero = (u << 1) != 0, outside = e - (127 - 55) >= 105u;
        bad |= (u & 0xFFFF) | (nonzero & outside);
    }
    return bad == 0;
}

/// bf16_exact over the rows × cols matrix at x with row stride ld.
static int bf16_exact_rows(const float *x, size_t ld, size_t rows, size_t cols) {
    for (size_t i = 0; i < rows; i++) {
        if (!bf16_exact(x + i * ld, cols)) return 0;
    }
    return 1;
}

enum { MRB = 12, NRB = 32, KPB = 128, NCB = 512 };

/// Two bfloat16 values in one dword, as VDPBF16PS reads a pair: it adds the odd (high)
/// half's product first, so x0 (the earlier kk) goes high, x1 low.
static inline uint32_t pair(float x0, float x1) {
    uint32_t u0, u1;
    memcpy(&u0, &x0, sizeof u0);
    memcpy(&u1, &x1, sizeof u1);
    return u0 | u1 >> 16;
}

BF16_TARGET ALWAYS_INLINE void micro_bf16(int mr, const uint32_t *a, size_t lda, const uint32_t *strip, size_t kp,
                                          float *c, size_t ldc, int first, size_t cols) {
    __m512 lo[MRB], hi[MRB];
    const __mmask16 mlo = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
    const __mmask16 mhi = cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1);
    for (int r = 0; r < mr; r++) {
        if (first) {
            lo[r] = _mm512_setzero_ps(); hi[r] = _mm512_setzero_ps();
        } else {
            lo[r] = _mm512_maskz_loadu_ps(mlo, c + r * ldc); hi[r] = _mm512_maskz_loadu_ps(mhi, c + r * ldc + 16);
        }
    }
    for (size_t p = 0; p < kp; p++) {
        const __m512bh b0 = (__m512bh)_mm512_load_si512(strip + p * NRB);
        const __m512bh b1 = (__m512bh)_mm512_load_si512(strip + p * NRB + 16);
        for (int r = 0; r < mr; r++) {
            const __m512bh x = (__m512bh)_mm512_set1_epi32((int)a[r * lda + p]);
            lo[r] = _mm512_dpbf16_ps(lo[r], x, b0);
            hi[r] = _mm512_dpbf16_ps(hi[r], x, b1);
        }
    }
    for (int r = 0; r < mr; r++) {
        _mm512_mask_storeu_ps(c + r * ldc, mlo, lo[r]); _mm512_mask_storeu_ps(c + r * ldc + 16, mhi, hi[r]);
    }
}

BF16_TARGET static void micro_rows_bf16(int mr, const uint32_t *a, size_t lda, const uint32_t *strip, size_t kp,
                                        float *c, size_t ldc, int first, size_t cols) {
    switch (mr) {
#define ROWS(r) case r: micro_bf16(r, a, lda, strip, kp, c, ldc, first, cols); break;
    ROWS(12) ROWS(11) ROWS(10) ROWS(9) ROWS(8) ROWS(7) ROWS(6) ROWS(5) ROWS(4) ROWS(3) ROWS(2)
#undef ROWS
    default: micro_bf16(1, a, lda, strip, kp, c, ldc, first, cols); break;
    }
}

/// The product by VDPBF16PS, for inputs that bf16_exact accepts; returns 0 when its buffers
/// cannot be allocated. Each instruction continues a lane's chain by two steps, as the ISA
/// defines it: acc += x_odd·y_odd, rounded to float32, then acc += x_even·y_even, rounded
/// (round to nearest even, denormal inputs and results flushed to zero). A product of two
/// bfloat16 values is exact in float32, so each step is fmaf's; the pairs are packed with the
/// earlier kk in the odd half, so the steps run in ascending kk. Neither flush can act:
/// nonzero inputs are at least 2^-55, hence multiples of 2^-62, so every product and every
/// partial sum is a multiple of 2^-124 and, when not zero, a normal float32; inputs below
/// 2^50 keep products below 2^100 and sums finite. An odd k is padded with a zero pair
/// (acc + 0·0 = acc: acc is never -0, as 0 + (-0) is +0).
BF16_TARGET static int matmul_bf16(const float *a, size_t lda, const float *b, size_t ldb, float *c, size_t ldc,
                                   size_t m, size_t n, size_t k) {
    const size_t kp = (k + 1) / 2;
    uint32_t *ap = aligned_alloc(64, (m * kp * sizeof(uint32_t) + 63) / 64 * 64);
    uint32_t *buf = aligned_alloc(64, (size_t)KPB * NCB * sizeof(uint32_t));
    if (!ap || !buf) {
        free(ap); free(buf);
        return 0;
    }
    for (size_t i = 0; i < m; i++) {
        for (size_t p = 0; p < k / 2; p++) ap[i * kp + p] = pair(a[i * lda + 2 * p], a[i * lda + 2 * p + 1]);
        if (k % 2) ap[i * kp + kp - 1] = pair(a[i * lda + k - 1], 0.0f);
    }
    for (size_t j0 = 0; j0 < n; j0 += NCB) {
        const size_t nc = n - j0 < NCB ? n - j0 : NCB;
        for (size_t p0 = 0; p0 < kp; p0 += KPB) {
            const size_t pc = kp - p0 < KPB ? kp - p0 : KPB;
            for (size_t s = 0; s * NRB < nc; s++) {
                uint32_t *dst = buf + s * pc * NRB;
                const size_t j = j0 + s * NRB, w = nc - s * NRB < NRB ? nc - s * NRB : NRB;
                for (size_t p = 0; p < pc; p++) {
                    const size_t k0 = 2 * (p0 + p);
                    const float *r0 = b + k0 * ldb + j, *r1 = k0 + 1 < k ? r0 + ldb : NULL;
                    uint32_t *d = dst + p * NRB;
                    if (r1) {
                        for (size_t l = 0; l < w; l++) d[l] = pair(r0[l], r1[l]);
                    } else {
                        for (size_t l = 0; l < w; l++) d[l] = pair(r0[l], 0.0f);
                    }
                    for (size_t l = w; l < NRB; l++) d[l] = 0;
                }
            }
            for (size_t i0 = 0; i0 < m; i0 += MRB) {
                const int mr = m - i0 < MRB ? (int)(m - i0) : MRB;
                for (size_t s = 0; s * NRB < nc; s++) {
                    const size_t cols = nc - s * NRB < NRB ? nc - s * NRB : NRB;
                    micro_rows_bf16(mr, ap + i0 * kp + p0, kp, buf + s * pc * NRB, pc,
                                    c + i0 * ldc + j0 + s * NRB, ldc, p0 == 0, cols);
                }
            }
        }
    }
    free(ap);
    free(buf);
    return 1;
}
#endif

int ckpt_matmul_bf16_exact(const float *x, size_t count) {
#ifdef CKPT_X86
    return cpu_bf16_cached() && bf16_exact(x, count);
#else
    (void)x; (void)count;
    return 0;
#endif
}

void ckpt_matmul_ordered_strided(const float *a, size_t lda, const float *b, size_t ldb, float *c, size_t ldc,
                                 size_t m, size_t n, size_t k, int flags) {
    const int portable = flags & CKPT_MATMUL_PORTABLE;
#ifdef CKPT_X86
    const int checked = flags & CKPT_MATMUL_BF16_CHECKED;
    if (!portable && k > 0 && k < ((size_t)1 << 26) && cpu_bf16_cached() &&
        (checked || (bf16_exact_rows(a, lda, m, k) && bf16_exact_rows(b, ldb, k, n))) &&
        matmul_bf16(a, lda, b, ldb, c, ldc, m, n, k)) return;
    if (ckpt_cpu_fma_cached() && !portable && matmul_avx2(a, lda, b, ldb, c, ldc, m, n, k)) return;
#endif
    matmul_portable(a, lda, b, ldb, c, ldc, m, n, k);
}

void ckpt_matmul_ordered(const float *a, const float *b, float *c, size_t m, size_t n, size_t k, int portable) {
    ckpt_matmul_ordered_strided(a, k, b, n, c, n, m, n, k, portable);
}
