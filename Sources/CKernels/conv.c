#include "CKernelsConv.h"
#include "CKernels.h"
#include <math.h>
#include <stddef.h>

#if defined(__x86_64__)
#include <immintrin.h>
#include "simd_sum.h"

int ckpt_conv_weight_grad_available(void) { return ckpt_cpu_has_fma(); }

/* Six output rows and two col rows per pass: 12 accumulators, 8 loads per 12 FMAs (LeNet's
 * conv1 has exactly 6 output channels, so no lane is wasted there). */
__attribute__((target("avx2,fma")))
void ckpt_conv_weight_grad(const float *gy, const float *col, int O, int K, int L, float *gw, int accumulate) {
    const int L8 = L & ~7;
    for (int k = 0; k < K; k += 2) {
        const int pair = k + 1 < K;
        const float *c0 = col + (size_t)k * L, *c1 = col + (size_t)(k + pair) * L;
        for (int o = 0; o < O; o += 6) {
            const int no = O - o < 6 ? O - o : 6;
            __m256 a0[6], a1[6];
            const float *g[6];
            for (int i = 0; i < 6; i++) {
                a0[i] = _mm256_setzero_ps();
                a1[i] = _mm256_setzero_ps();
                g[i] = gy + (size_t)(o + (i < no ? i : 0)) * L;
            }
            for (int l = 0; l < L8; l += 8) {
                const __m256 x0 = _mm256_loadu_ps(c0 + l), x1 = _mm256_loadu_ps(c1 + l);
                for (int i = 0; i < 6; i++) {
                    const __m256 v = _mm256_loadu_ps(g[i] + l);
                    a0[i] = _mm256_fmadd_ps(v, x0, a0[i]);
                    a1[i] = _mm256_fmadd_ps(v, x1, a1[i]);
                }
            }
            for (int i = 0; i < no; i++) {
                for (int j = 0; j <= pair; j++) {
                    float r = hsum(j ? a1[i] : a0[i]);
                    const float *c = j ? c1 : c0;
                    for (int l = L8; l < L; l++) r = fmaf(g[i][l], c[l], r);
                    float *d = gw + (size_t)(o + i) * K + k + j;
                    *d = accumulate ? *d + r : r;
                }
            }
        }
    }
}
__attribute__((target("avx2,fma")))
void ckpt_conv_forward(const float *w, const float *bias, const float *col, int O, int K, int L, float *out) {
    for (int o0 = 0; o0 < O; o0 += 6) {
        const int no = O - o0 < 6 ? O - o0 : 6;
        const float *wr[6];
        for (int i = 0; i < 6; i++) wr[i] = w + (size_t)(o0 + (i < no ? i : 0)) * K;
        int l = 0;
        for (; l + 16 <= L; l += 16) {
            __m256 a[6][2];
            for (int i = 0; i < 6; i++) { a[i][0] = a[i][1] = _mm256_set1_ps(bias ? bias[o0 + (i < no ? i : 0)] : 0.f); }
            const float *c = col + l;
            for (int k = 0; k < K; k++, c += L) {
                const __m256 x0 = _mm256_loadu_ps(c), x1 = _mm256_loadu_ps(c + 8);
                for (int i = 0; i < 6; i++) {
                    const __m256 b = _mm256_broadcast_ss(wr[i] + k);
                    a[i][0] = _mm256_fmadd_ps(b, x0, a[i][0]);
                    a[i][1] = _mm256_fmadd_ps(b, x1, a[i][1]);
                }
            }
            for (int i = 0; i < no; i++) {
                _mm256_storeu_ps(out + (size_t)(o0 + i) * L + l, a[i][0]);
                _mm256_storeu_ps(out + (size_t)(o0 + i) * L + l + 8, a[i][1]);
            }
        }
        for (; l + 8 <= L; l += 8) {
            __m256 a[6];
            for (int i = 0; i < 6; i++) a[i] = _mm256_set1_ps(bias ? bias[o0 + (i < no ? i : 0)] : 0.f);
            const float *c = col + l;
            for (int k = 0; k < K; k++, c += L) {
                const __m256 x0 = _mm256_loadu_ps(c);
                for (int i = 0; i < 6; i++) a[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(wr[i] + k), x0, a[i]);
            }
            for (int i = 0; i < no; i++) _mm256_storeu_ps(out + (size_t)(o0 + i) * L + l, a[i]);
        }
        for (; l < L; l++)
            for (int i = 0; i < no; i++) {
                float r = bias ? bias[o0 + i] : 0.f;
                for (int k = 0; k < K; k++) r = fmaf(wr[i][k], col[(size_t)k * L + l], r);
                out[(size_t)(o0 + i) * L + l] = r;
            }
    }
}

/* Rows of n floats: 8-lane moves, then one 4-lane move, then scalars. No masked moves:
 * vmaskmovps stores are microcoded and slow on AMD, and these rows are short (28, 10). */
__attribute__((target("avx2,fma")))
static inline void copy_row(float *dst, const float *src, int n) {
    int t = 0;
    for (; t + 8 <= n; t += 8) _mm256_storeu_ps(dst + t, _mm256_loadu_ps(src + t));
    if (t + 4 <= n) { _mm_storeu_ps(dst + t, _mm_loadu_ps(src + t)); t += 4; }
    for (; t < n; t++) dst[t] = src[t];
}

__attribute__((target("avx2,fma")))
static inline void add_row(float *dst, const float *src, int n) {
    int t = 0;
    for (; t + 8 <= n; t += 8) _mm256_storeu_ps(dst + t, _mm256_add_ps(_mm256_loadu_ps(dst + t), _mm256_loadu_ps(src + t)));
    if (t + 4 <= n) { _mm_storeu_ps(dst + t, _mm_add_ps(_mm_loadu_ps(dst + t), _mm_loadu_ps(src + t))); t += 4; }
    for (; t < n; t++) dst[t] += src[t];
}

#else
int ckpt_conv_weight_grad_available(void) { return 0; }

void ckpt_conv_weight_grad(const float *gy, const float *col, int O, int K, int L, float *gw, int accumulate) {
    for (int o = 0; o < O; o++)
        for (int k = 0; k < K; k++) {
            float r = 0;
            for (int l = 0; l < L; l++) r = fmaf(gy[(size_t)o * L + l], col[(size_t)k * L + l], r);
            float *d = gw + (size_t)o * K + k;
            *d = accumulate ? *d + r : r;
        }
}

void ckpt_conv_forward(const float *w, const float *bias, const float *col, int O, int K, int L, float *out) {
    for (int o = 0; o < O; o++)
        for (int l = 0; l < L; l++) {
            float r = bias ? bias[o] : 0.f;
            for (int k = 0; k < K; k++) r = fmaf(w[(size_t)o * K + k], col[(size_t)k * L + l], r);
            out[(size_t)o * L + l] = r;
        }
}

static inline void copy_row(float *dst, const float *src, int n) {
    for (int t = 0; t < n; t++) dst[t] = src[t];
}

static inline void add_row(float *dst, const float *src, int n) {
    for (int t = 0; t < n; t++) dst[t] += src[t];
}
#endif

/* The im2col map for stride 1, no padding, walked once for both directions: copies x's rows
 * into col, or (adjoint) adds col's rows back into x. */
#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
#endif
static inline __attribute__((always_inline)) void im2col_rows(float *x, int C, int H, int W, int kh, int kw, float *col, size_t ld, int adjoint) {
    const int oh = H - kh + 1, ow = W - kw + 1;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < kh; i++)
            for (int j = 0; j < kw; j++)
                for (int y = 0; y < oh; y++) {
                    float *xr = x + ((size_t)c * H + y + i) * W + j;
                    float *cr = col + ((size_t)(c * kh + i) * kw + j) * ld + (size_t)y * ow;
                    if (adjoint) add_row(xr, cr, ow); else copy_row(cr, xr, ow);
                }
}

/* Inlined into both callers, so `adjoint` is a constant there and the row loop has no test. */
#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
#endif
void ckpt_im2col_s1(const float *x, int C, int H, int W, int kh, int kw, float *col, size_t ld) {
    im2col_rows((float *)x, C, H, W, kh, kw, col, ld, 0);  /* x is only read in this direction */
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
#endif
void ckpt_col2im_s1(const float *col, int C, int H, int W, int kh, int kw, float *x, size_t ld) {
    im2col_rows(x, C, H, W, kh, kw, (float *)col, ld, 1);  /* col is only read in this direction */
}
