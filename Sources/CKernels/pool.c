#include "CKernelsPool.h"
#include "CKernels.h"

static inline void window(const float *x, int W, int i0, float *best, int32_t *bi) {
    const int is[4] = {i0, i0 + 1, i0 + W, i0 + W + 1};
    float b = x[is[0]];
    int32_t at = is[0];
    for (int q = 1; q < 4; q++) {
        const float v = x[is[q]];
        if (v > b || v != v) { b = v; at = is[q]; }
    }
    *best = b;
    *bi = at;
}

static void rows_scalar(const float *x, int W, int y, int from, int to, float *out, int32_t *idx) {
    for (int t = from; t < to; t++) window(x, W, 2 * y * W + 2 * t, out + t, idx + t);
}

#if defined(__x86_64__)
#include <immintrin.h>

/* Eight outputs: deinterleave two input rows into the four window corners, then three
 * compare-and-blend steps in window order (strictly greater: the first maximum stays). */
__attribute__((target("avx2,fma")))
static void rows_avx2(const float *x, int W, int y, int OW, float *out, int32_t *idx) {
    const float *r0 = x + (size_t)2 * y * W, *r1 = r0 + W;
    const __m256i lanes2 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
    const __m256 one = _mm256_castsi256_ps(_mm256_set1_epi32(1));
    const __m256 down = _mm256_castsi256_ps(_mm256_set1_epi32(W));
    const __m256 diag = _mm256_castsi256_ps(_mm256_set1_epi32(W + 1));
    for (int t0 = 0;; t0 += 8) {
        if (t0 + 8 > OW) t0 = OW - 8;  /* the last block overlaps the previous one: same values */
        const __m256 a0 = _mm256_loadu_ps(r0 + 2 * t0), b0 = _mm256_loadu_ps(r0 + 2 * t0 + 8);
        const __m256 a1 = _mm256_loadu_ps(r1 + 2 * t0), b1 = _mm256_loadu_ps(r1 + 2 * t0 + 8);
        const __m256 v0 = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a0, b0, 0x88)), 0xD8));
        const __m256 v1 = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a0, b0, 0xDD)), 0xD8));
        const __m256 v2 = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a1, b1, 0x88)), 0xD8));
        const __m256 v3 = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a1, b1, 0xDD)), 0xD8));
        const __m256 nan = _mm256_or_ps(_mm256_cmp_ps(v0, v1, _CMP_UNORD_Q), _mm256_cmp_ps(v2, v3, _CMP_UNORD_Q));
        if (_mm256_movemask_ps(nan)) {
            rows_scalar(x, W, y, t0, t0 + 8, out, idx);
        } else {
            __m256 best = v0, off = _mm256_setzero_ps(), m;
            m = _mm256_cmp_ps(v1, best, _CMP_GT_OQ); best = _mm256_blendv_ps(best, v1, m); off = _mm256_blendv_ps(off, one, m);
            m = _mm256_cmp_ps(v2, best, _CMP_GT_OQ); best = _mm256_blendv_ps(best, v2, m); off = _mm256_blendv_ps(off, down, m);
            m = _mm256_cmp_ps(v3, best, _CMP_GT_OQ); best = _mm256_blendv_ps(best, v3, m); off = _mm256_blendv_ps(off, diag, m);
            const __m256i base = _mm256_add_epi32(_mm256_set1_epi32(2 * y * W + 2 * t0), lanes2);
            _mm256_storeu_ps(out + t0, best);
            _mm256_storeu_si256((__m256i *)(idx + t0), _mm256_add_epi32(base, _mm256_castps_si256(off)));
        }
        if (t0 + 8 >= OW) break;
    }
}

void ckpt_maxpool2x2(const float *x, size_t planes, int H, int W, float *y, int32_t *idx) {
    const int OH = H / 2, OW = W / 2, fast = OW >= 8 && ckpt_cpu_has_fma();
    for (size_t p = 0; p < planes; p++) {
        const float *xp = x + p * (size_t)H * W;
        for (int r = 0; r < OH; r++) {
            float *out = y + (p * OH + r) * (size_t)OW;
            int32_t *at = idx + (p * OH + r) * (size_t)OW;
            if (fast) rows_avx2(xp, W, r, OW, out, at);
            else rows_scalar(xp, W, r, 0, OW, out, at);
        }
    }
}
#else
void ckpt_maxpool2x2(const float *x, size_t planes, int H, int W, float *y, int32_t *idx) {
    const int OH = H / 2, OW = W / 2;
    for (size_t p = 0; p < planes; p++)
        for (int r = 0; r < OH; r++)
            rows_scalar(x + p * (size_t)H * W, W, r, 0, OW, y + (p * OH + r) * (size_t)OW, idx + (p * OH + r) * (size_t)OW);
}
#endif
