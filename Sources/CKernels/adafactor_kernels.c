// Adafactor's passes (adafactor_kernels.h). Built with -ffp-contract=off: each float operation
// is rounded as Adafactor.swift's step always rounded it (PyTorch's order: est = row*col, then
// / mean; 1 / sqrt, then * g; lerp and the final add as fused multiply-adds). The scalar element
// functions are the definition; the AVX2 loops compute the same operations eight lanes at a time
// and keep the same eight double accumulators, so both paths give the same bits.
#include "adafactor_kernels.h"
#include "CKernels.h"
#include <math.h>
#include <string.h>

#include "kernel_target.h"
#include "torch_lerp.h"
#ifdef CKPT_X86
#include <immintrin.h>
#define AVX2 FMA_TARGET
#endif

// max(v, floor) as Swift's max(v, floor) computes it: floor >= v ? floor : v (a NaN v stays).
ALWAYS_INLINE float clamp_floor(float v, float floor) { return floor >= v ? floor : v; }

// torch.rsqrt's value, correctly rounded steps: 1 / sqrt(max(v, eps1²)).
ALWAYS_INLINE float rsq1(float v, float floor) { return 1.0f / sqrtf(clamp_floor(v, floor)); }

// The factored estimate's update for one element (two roundings: (row*col) / mean).
ALWAYS_INLINE float factored_u1(float g, float rv, float cv, float rm, float floor) {
    return rsq1(rv * cv / rm, floor) * g;
}

// The eight lanes' partial sums in their fixed order.
ALWAYS_INLINE double lanes_total(const double l[8]) {
    return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

ALWAYS_INLINE void add_square(double l[8], size_t lane, float x) {
    double d = x;
    l[lane] += d * d;                       // exact product: a float has 24 bits, a double 53
}

// (b, r, c) of a flat index, and one step forward.
typedef struct { size_t b, r, c; } pos_t;
ALWAYS_INLINE pos_t pos_of(size_t k, size_t rows, size_t cols) {
    size_t rc = rows * cols, rem = k % rc;
    pos_t q = {k / rc, rem / cols, rem % cols};
    return q;
}
ALWAYS_INLINE void pos_advance(pos_t *q, size_t by, size_t rows, size_t cols) {
    q->c += by;                             // callers never cross a row end
    if (q->c == cols) {
        q->c = 0;
        if (++q->r == rows) { q->r = 0; q->b++; }
    }
}

#ifdef CKPT_X86
AVX2 static inline __m256 rsq8(__m256 v, __m256 floor) {
    __m256 m = _mm256_blendv_ps(v, floor, _mm256_cmp_ps(floor, v, _CMP_GE_OQ));
    return _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_sqrt_ps(m));
}
// Adds the squares of x's eight lanes (as doubles) to a0 (lanes 0-3) and a1 (lanes 4-7).
AVX2 static inline void add_squares8(__m256d *a0, __m256d *a1, __m256 x) {
    __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(x));
    __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
    *a0 = _mm256_add_pd(*a0, _mm256_mul_pd(lo, lo));
    *a1 = _mm256_add_pd(*a1, _mm256_mul_pd(hi, hi));
}
AVX2 static inline void store_lanes(double l[8], __m256d a0, __m256d a1) {
    _mm256_storeu_pd(l, a0);
    _mm256_storeu_pd(l + 4, a1);
}
#endif

#ifdef CKPT_X86
#define USE_AVX2(flags) (ckpt_cpu_fma_cached() && !((flags) & CKPT_OPT_PORTABLE))
#else
#define USE_AVX2(flags) 0
#endif

/* ---------------------------------------------------------------- tile sums */

#ifdef CKPT_X86
AVX2 static void tile_avx2(const float *g, size_t stride, size_t h, size_t w, double *rp, double *cp) {
    for (size_t r = 0; r < h; r++) {
        const float *row = g + r * stride;
        __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
        size_t c = 0;
        for (; c + 8 <= w; c += 8) {
            __m256 x = _mm256_loadu_ps(row + c);
            __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(x));
            __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
            lo = _mm256_mul_pd(lo, lo);
            hi = _mm256_mul_pd(hi, hi);
            a0 = _mm256_add_pd(a0, lo);
            a1 = _mm256_add_pd(a1, hi);
            _mm256_storeu_pd(cp + c, _mm256_add_pd(_mm256_loadu_pd(cp + c), lo));
            _mm256_storeu_pd(cp + c + 4, _mm256_add_pd(_mm256_loadu_pd(cp + c + 4), hi));
        }
        double l[8];
        store_lanes(l, a0, a1);
        for (; c < w; c++) {
            double x = row[c], sq = x * x;
            l[c & 7] += sq;
            cp[c] += sq;
        }
        rp[r] = lanes_total(l);
    }
}
#endif

void ckpt_adafactor_tile_sums(const float *g, size_t stride, size_t h, size_t w,
                              double *row_part, double *col_part, int flags) {
    memset(col_part, 0, w * sizeof(double));
#ifdef CKPT_X86
    if (USE_AVX2(flags)) { tile_avx2(g, stride, h, w, row_part, col_part); return; }
#endif
    for (size_t r = 0; r < h; r++) {
        const float *row = g + r * stride;
        double l[8] = {0};
        for (size_t c = 0; c < w; c++) {
            double x = row[c], sq = x * x;
            l[c & 7] += sq;
            col_part[c] += sq;
        }
        row_part[r] = lanes_total(l);
    }
}

/* ---------------------------------------------------------------- vector (unfactored) */

ALWAYS_INLINE float vector_u1(float *var, const float *g, size_t i, float b2t, float floor) {
    float gi = g[i];
    float v = lerp1(var[i], gi * gi, b2t);                 // variance.lerp_(g*g, beta2_t)
    var[i] = v;
    return rsq1(v, floor) * gi;
}

#ifdef CKPT_X86
AVX2 static void vector_sums_avx2(const float *p, const float *g, float *var, size_t n, float b2t,
                                  float floor, double lp[8], double lu[8]) {
    const int small = fabsf(b2t) < 0.5f;
    const __m256 vw = _mm256_set1_ps(small ? b2t : b2t - 1.0f), vfloor = _mm256_set1_ps(floor);
    __m256d p0 = _mm256_setzero_pd(), p1 = p0, u0 = p0, u1 = p0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i);
        __m256 v = lerp8(_mm256_loadu_ps(var + i), _mm256_mul_ps(gi, gi), vw, small);
        _mm256_storeu_ps(var + i, v);
        add_squares8(&p0, &p1, _mm256_loadu_ps(p + i));
        add_squares8(&u0, &u1, _mm256_mul_ps(rsq8(v, vfloor), gi));
    }
    store_lanes(lp, p0, p1);
    store_lanes(lu, u0, u1);
    for (; i < n; i++) {
        add_square(lp, i & 7, p[i]);
        add_square(lu, i & 7, vector_u1(var, g, i, b2t, floor));
    }
}

AVX2 static void vector_apply_avx2(float *p, const float *g, const float *var, size_t n,
                                   float floor, float decay, float scale, int flags) {
    const __m256 vfloor = _mm256_set1_ps(floor), vdecay = _mm256_set1_ps(decay);
    const __m256 vscale = _mm256_set1_ps(scale), sign = _mm256_set1_ps(-0.0f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i), pi = _mm256_loadu_ps(p + i);
        if (flags & CKPT_OPT_MAXIMIZE) gi = _mm256_xor_ps(gi, sign);
        if (flags & CKPT_OPT_WEIGHT_DECAY) pi = _mm256_mul_ps(pi, vdecay);
        __m256 u = _mm256_mul_ps(rsq8(_mm256_loadu_ps(var + i), vfloor), gi);
        _mm256_storeu_ps(p + i, _mm256_fmadd_ps(u, vscale, pi));
    }
    for (; i < n; i++) {
        float gi = (flags & CKPT_OPT_MAXIMIZE) ? -g[i] : g[i];
        float pi = (flags & CKPT_OPT_WEIGHT_DECAY) ? p[i] * decay : p[i];
        p[i] = fmaf(rsq1(var[i], floor) * gi, scale, pi);
    }
}
#endif

void ckpt_adafactor_vector_sums(const float *p, const float *g, float *var, size_t n,
                                float beta2t, float floor, int flags, double sums[2]) {
    double lp[8] = {0}, lu[8] = {0};
#ifdef CKPT_X86
    if (USE_AVX2(flags)) vector_sums_avx2(p, g, var, n, beta2t, floor, lp, lu);
    else
#endif
    for (size_t i = 0; i < n; i++) {
        add_square(lp, i & 7, p[i]);
        add_square(lu, i & 7, vector_u1(var, g, i, beta2t, floor));
    }
    sums[0] = lanes_total(lp);
    sums[1] = lanes_total(lu);
}

void ckpt_adafactor_vector_apply(float *p, const float *g, const float *var, size_t n,
                                 float floor, float decay, float scale, int flags) {
#ifdef CKPT_X86
    if (USE_AVX2(flags)) { vector_apply_avx2(p, g, var, n, floor, decay, scale, flags); return; }
#endif
    for (size_t i = 0; i < n; i++) {
        float gi = (flags & CKPT_OPT_MAXIMIZE) ? -g[i] : g[i];
        float pi = (flags & CKPT_OPT_WEIGHT_DECAY) ? p[i] * decay : p[i];
        p[i] = fmaf(rsq1(var[i], floor) * gi, scale, pi);
    }
}

/* ---------------------------------------------------------------- factored */

// The update of the element at q (flat index k).
ALWAYS_INLINE float factored_at(const float *g, size_t k, pos_t q, size_t rows, size_t cols,
                                const float *row_var, const float *col_var, const float *row_mean,
                                float floor) {
    return factored_u1(g[k], row_var[q.b * rows + q.r], col_var[q.b * cols + q.c], row_mean[q.b], floor);
}

#ifdef CKPT_X86
AVX2 static void factored_sums_avx2(const float *p, const float *g, size_t start, size_t n,
                                    size_t rows, size_t cols, const float *row_var,
                                    const float *col_var, const float *row_mean, float floor,
                                    double lp[8], double lu[8]) {
    const __m256 vfloor = _mm256_set1_ps(floor);
    __m256d p0 = _mm256_setzero_pd(), p1 = p0, u0 = p0, u1 = p0;
    pos_t q = pos_of(start, rows, cols);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        size_t k = start + i;
        __m256 u;
        if (q.c + 8 <= cols) {                 // eight elements of one row
            __m256 est = _mm256_div_ps(
                _mm256_mul_ps(_mm256_set1_ps(row_var[q.b * rows + q.r]), _mm256_loadu_ps(col_var + q.b * cols + q.c)),
                _mm256_set1_ps(row_mean[q.b]));
            u = _mm256_mul_ps(rsq8(est, vfloor), _mm256_loadu_ps(g + k));
            pos_advance(&q, 8, rows, cols);
        } else {                               // across a row end: one element at a time
            float buf[8];
            for (int j = 0; j < 8; j++) {
                buf[j] = factored_at(g, k + j, q, rows, cols, row_var, col_var, row_mean, floor);
                pos_advance(&q, 1, rows, cols);
            }
            u = _mm256_loadu_ps(buf);
        }
        add_squares8(&p0, &p1, _mm256_loadu_ps(p + k));
        add_squares8(&u0, &u1, u);
    }
    store_lanes(lp, p0, p1);
    store_lanes(lu, u0, u1);
    for (; i < n; i++) {
        add_square(lp, i & 7, p[start + i]);
        add_square(lu, i & 7, factored_at(g, start + i, q, rows, cols, row_var, col_var, row_mean, floor));
        pos_advance(&q, 1, rows, cols);
    }
}

// One run of `len` elements of one row: columns c..<c+len of row value rv.
AVX2 static void factored_run_avx2(float *p, const float *g, const float *cv, size_t len, float rv,
                                   float rm, float floor, float decay, float scale, int flags) {
    const __m256 vfloor = _mm256_set1_ps(floor), vdecay = _mm256_set1_ps(decay);
    const __m256 vscale = _mm256_set1_ps(scale), sign = _mm256_set1_ps(-0.0f);
    const __m256 vrv = _mm256_set1_ps(rv), vrm = _mm256_set1_ps(rm);
    size_t j = 0;
    for (; j + 8 <= len; j += 8) {
        __m256 gj = _mm256_loadu_ps(g + j), pj = _mm256_loadu_ps(p + j);
        if (flags & CKPT_OPT_MAXIMIZE) gj = _mm256_xor_ps(gj, sign);
        if (flags & CKPT_OPT_WEIGHT_DECAY) pj = _mm256_mul_ps(pj, vdecay);
        __m256 est = _mm256_div_ps(_mm256_mul_ps(vrv, _mm256_loadu_ps(cv + j)), vrm);
        _mm256_storeu_ps(p + j, _mm256_fmadd_ps(_mm256_mul_ps(rsq8(est, vfloor), gj), vscale, pj));
    }
    for (; j < len; j++) {
        float gj = (flags & CKPT_OPT_MAXIMIZE) ? -g[j] : g[j];
        float pj = (flags & CKPT_OPT_WEIGHT_DECAY) ? p[j] * decay : p[j];
        p[j] = fmaf(factored_u1(gj, rv, cv[j], rm, floor), scale, pj);
    }
}
#endif

static void factored_run_portable(float *p, const float *g, const float *cv, size_t len, float rv,
                                  float rm, float floor, float decay, float scale, int flags) {
    for (size_t j = 0; j < len; j++) {
        float gj = (flags & CKPT_OPT_MAXIMIZE) ? -g[j] : g[j];
        float pj = (flags & CKPT_OPT_WEIGHT_DECAY) ? p[j] * decay : p[j];
        p[j] = fmaf(factored_u1(gj, rv, cv[j], rm, floor), scale, pj);
    }
}

void ckpt_adafactor_factored_sums(const float *p, const float *g, size_t start, size_t n,
                                  size_t rows, size_t cols, const float *row_var,
                                  const float *col_var, const float *row_mean, float floor,
                                  int flags, double sums[2]) {
    double lp[8] = {0}, lu[8] = {0};
    if (n > 0) {
#ifdef CKPT_X86
        if (USE_AVX2(flags)) factored_sums_avx2(p, g, start, n, rows, cols, row_var, col_var, row_mean, floor, lp, lu);
        else
#endif
        {
            pos_t q = pos_of(start, rows, cols);
            for (size_t i = 0; i < n; i++) {
                add_square(lp, i & 7, p[start + i]);
                add_square(lu, i & 7, factored_at(g, start + i, q, rows, cols, row_var, col_var, row_mean, floor));
                pos_advance(&q, 1, rows, cols);
            }
        }
    }
    sums[0] = lanes_total(lp);
    sums[1] = lanes_total(lu);
}

void ckpt_adafactor_factored_apply(float *p, const float *g, size_t start, size_t n, size_t rows,
                                   size_t cols, const float *row_var, const float *col_var,
                                   const float *row_mean, float floor, float decay, float scale,
                                   int flags) {
    if (n == 0) return;
    pos_t q = pos_of(start, rows, cols);
    size_t i = 0;
    while (i < n) {
        size_t len = cols - q.c < n - i ? cols - q.c : n - i;
        size_t k = start + i;
        float rv = row_var[q.b * rows + q.r], rm = row_mean[q.b];
        const float *cv = col_var + q.b * cols + q.c;
#ifdef CKPT_X86
        if (USE_AVX2(flags)) factored_run_avx2(p + k, g + k, cv, len, rv, rm, floor, decay, scale, flags);
        else
#endif
        factored_run_portable(p + k, g + k, cv, len, rv, rm, floor, decay, scale, flags);
        i += len;
        pos_advance(&q, len, rows, cols);
    }
}
