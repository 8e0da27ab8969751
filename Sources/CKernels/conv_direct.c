#include "CKernelsConvDirect.h"
#include "CKernels.h"
#include <stddef.h>
#include <string.h>
#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>
#include "simd_sum.h"

/* One row block of `lanes` (8 or 16) outputs for up to 6 channels. Blocks cover a row left to
 * right; the last one is moved back to end at OW, recomputing a few outputs with the very same
 * operations (same values), so no tail code is needed. */
__attribute__((target("avx2,fma")))
void ckpt_conv_forward_s1(const float *x, int C, int H, int W, int kh, int kw,
                          const float *w, const float *bias, int O, float *out) {
    const int OH = H - kh + 1, OW = W - kw + 1, K = C * kh * kw;
    const int lanes = OW >= 16 ? 16 : 8;
    for (int o0 = 0; o0 < O; o0 += 6) {
        const int no = O - o0 < 6 ? O - o0 : 6;
        const float *wr[6];
        __m256 b[6];
        for (int q = 0; q < 6; q++) {
            const int oc = o0 + (q < no ? q : 0);
            wr[q] = w + (size_t)oc * K;
            b[q] = _mm256_set1_ps(bias ? bias[oc] : 0.f);
        }
        for (int y = 0; y < OH; y++) {
            for (int t0 = 0;; t0 += lanes) {
                if (t0 + lanes > OW) t0 = OW - lanes;
                __m256 a[6][2];
                for (int q = 0; q < 6; q++) a[q][0] = a[q][1] = b[q];
                int k = 0;
                for (int c = 0; c < C; c++)
                    for (int i = 0; i < kh; i++) {
                        const float *row = x + ((size_t)c * H + y + i) * W + t0;
                        for (int j = 0; j < kw; j++, k++) {
                            const __m256 x0 = _mm256_loadu_ps(row + j);
                            if (lanes == 16) {
                                const __m256 x1 = _mm256_loadu_ps(row + j + 8);
                                for (int q = 0; q < 6; q++) {
                                    const __m256 wv = _mm256_broadcast_ss(wr[q] + k);
                                    a[q][0] = _mm256_fmadd_ps(wv, x0, a[q][0]);
                                    a[q][1] = _mm256_fmadd_ps(wv, x1, a[q][1]);
                                }
                            } else {
                                for (int q = 0; q < 6; q++)
                                    a[q][0] = _mm256_fmadd_ps(_mm256_broadcast_ss(wr[q] + k), x0, a[q][0]);
                            }
                        }
                    }
                for (int q = 0; q < no; q++) {
                    float *dst = out + ((size_t)(o0 + q) * OH + y) * OW + t0;
                    _mm256_storeu_ps(dst, a[q][0]);
                    if (lanes == 16) _mm256_storeu_ps(dst + 8, a[q][1]);
                }
                if (t0 + lanes >= OW) break;
            }
        }
    }
}

/* Two (c, i, j) taps and six channels per pass: 12 accumulators, 8 loads per 12 FMAs. A row's
 * tail (OW mod 8 values) is loaded zero-padded to 8 lanes by a masked load: the padding adds 0 * 0. */
__attribute__((target("avx2,fma")))
void ckpt_conv_weight_grad_s1(const float *gy, const float *x, int C, int H, int W, int kh, int kw,
                              int O, float *gw, int accumulate) {
    const int OH = H - kh + 1, OW = W - kw + 1, K = C * kh * kw, L = OH * OW;
    const int T8 = OW & ~7, rem = OW - T8;
    /* Masked loads read the tail as zeros (and never fault past it); only masked stores are slow. */
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(rem), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    for (int k = 0; k < K; k += 2) {
        const int pair = k + 1 < K, k1 = k + pair;
        const int c0 = k / (kh * kw), i0 = (k / kw) % kh, j0 = k % kw;
        const int c1 = k1 / (kh * kw), i1 = (k1 / kw) % kh, j1 = k1 % kw;
        for (int o = 0; o < O; o += 6) {
            const int no = O - o < 6 ? O - o : 6;
            __m256 a0[6], a1[6];
            const float *g[6];
            for (int q = 0; q < 6; q++) {
                a0[q] = _mm256_setzero_ps();
                a1[q] = _mm256_setzero_ps();
                g[q] = gy + (size_t)(o + (q < no ? q : 0)) * L;
            }
            for (int y = 0; y < OH; y++) {
                const float *r0 = x + ((size_t)c0 * H + y + i0) * W + j0;
                const float *r1 = x + ((size_t)c1 * H + y + i1) * W + j1;
                const size_t gl = (size_t)y * OW;
                for (int t = 0; t < T8; t += 8) {
                    const __m256 x0 = _mm256_loadu_ps(r0 + t), x1 = _mm256_loadu_ps(r1 + t);
                    for (int q = 0; q < 6; q++) {
                        const __m256 v = _mm256_loadu_ps(g[q] + gl + t);
                        a0[q] = _mm256_fmadd_ps(v, x0, a0[q]);
                        a1[q] = _mm256_fmadd_ps(v, x1, a1[q]);
                    }
                }
                if (rem) {
                    const __m256 x0 = _mm256_maskload_ps(r0 + T8, mask), x1 = _mm256_maskload_ps(r1 + T8, mask);
                    for (int q = 0; q < 6; q++) {
                        const __m256 v = _mm256_maskload_ps(g[q] + gl + T8, mask);
                        a0[q] = _mm256_fmadd_ps(v, x0, a0[q]);
                        a1[q] = _mm256_fmadd_ps(v, x1, a1[q]);
                    }
                }
            }
            for (int q = 0; q < no; q++) {
                float *d = gw + (size_t)(o + q) * K + k;
                const float r0 = hsum(a0[q]);
                d[0] = accumulate ? d[0] + r0 : r0;
                if (pair) {
                    const float r1 = hsum(a1[q]);
                    d[1] = accumulate ? d[1] + r1 : r1;
                }
            }
        }
    }
}
#else
/* Callers check ckpt_conv_weight_grad_available() (0 here) before using these. */
void ckpt_conv_forward_s1(const float *x, int C, int H, int W, int kh, int kw,
                          const float *w, const float *bias, int O, float *out) {
    const int OH = H - kh + 1, OW = W - kw + 1, K = C * kh * kw;
    for (int o = 0; o < O; o++)
        for (int y = 0; y < OH; y++)
            for (int t = 0; t < OW; t++) {
                float r = bias ? bias[o] : 0.f;
                int k = 0;
                for (int c = 0; c < C; c++)
                    for (int i = 0; i < kh; i++)
                        for (int j = 0; j < kw; j++, k++)
                            r = fmaf(w[(size_t)o * K + k], x[((size_t)c * H + y + i) * W + t + j], r);
                out[((size_t)o * OH + y) * OW + t] = r;
            }
}

void ckpt_conv_weight_grad_s1(const float *gy, const float *x, int C, int H, int W, int kh, int kw,
                              int O, float *gw, int accumulate) {
    const int OH = H - kh + 1, OW = W - kw + 1, K = C * kh * kw;
    for (int o = 0; o < O; o++)
        for (int k = 0; k < K; k++) {
            const int c = k / (kh * kw), i = (k / kw) % kh, j = k % kw;
            float r = 0;
            for (int y = 0; y < OH; y++)
                for (int t = 0; t < OW; t++)
                    r = fmaf(gy[((size_t)o * OH + y) * OW + t], x[((size_t)c * H + y + i) * W + t + j], r);
            float *d = gw + (size_t)o * K + k;
            *d = accumulate ? *d + r : r;
        }
}
#endif
