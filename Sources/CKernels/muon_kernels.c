// Muon's element-wise passes (muon_kernels.h). Built with -ffp-contract=off: only the explicit
// fmaf() fuses. The scalar element functions are the definition; each loop is compiled for
// AVX2+FMA (where fmaf() is one instruction and the loop vectorizes) and portable.
#include "muon_kernels.h"
#include "CKernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernel_target.h"

/// float32 to bfloat16 and back, nearest even; NaN unchanged (NewtonSchulz.bf16).
ALWAYS_INLINE float bf16_round(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    u = (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
    float r;
    memcpy(&r, &u, sizeof r);
    return x != x ? x : r;
}

ALWAYS_INLINE float fma_scaled1(float p, float q, float s, float t, int bf16) {
    const float r = fmaf(s, p, q * t);
    return bf16 ? bf16_round(r) : r;
}

// One loop per aliasing case, each with restrict pointers: a loop that may alias runs scalar.
ALWAYS_INLINE void fma_scaled_loops(const float *p, const float *q, float *out, size_t n, float s, float t, int bf16) {
    if (out == p) {
        float *restrict x = out;
        const float *restrict y = q;
        for (size_t i = 0; i < n; i++) x[i] = fma_scaled1(x[i], y[i], s, t, bf16);
    } else if (out == q) {
        float *restrict x = out;
        const float *restrict y = p;
        for (size_t i = 0; i < n; i++) x[i] = fma_scaled1(y[i], x[i], s, t, bf16);
    } else {
        float *restrict x = out;
        const float *restrict y = p, *restrict z = q;
        for (size_t i = 0; i < n; i++) x[i] = fma_scaled1(y[i], z[i], s, t, bf16);
    }
}

ALWAYS_INLINE void fma_scaled_body(const float *p, const float *q, float *out, size_t n, float s, float t, int bf16) {
    if (bf16) fma_scaled_loops(p, q, out, n, s, t, 1);
    else fma_scaled_loops(p, q, out, n, s, t, 0);
}

ALWAYS_INLINE float sum_squares_body(const float *x, size_t n) {
    float acc = 0.0f;
    for (size_t i = 0; i < n; i++) acc = fmaf(x[i], x[i], acc);
    return acc;
}

#ifdef CKPT_X86
FMA_TARGET static void fma_scaled_fma(const float *p, const float *q, float *out, size_t n, float s, float t, int bf16) {
    fma_scaled_body(p, q, out, n, s, t, bf16);
}
FMA_TARGET static float sum_squares_fma(const float *x, size_t n) { return sum_squares_body(x, n); }
#endif

static void fma_scaled_portable(const float *p, const float *q, float *out, size_t n, float s, float t, int bf16) {
    fma_scaled_body(p, q, out, n, s, t, bf16);
}
static float sum_squares_portable(const float *x, size_t n) { return sum_squares_body(x, n); }

void ckpt_muon_fma_scaled(const float *p, const float *q, float *out, size_t n, float s, float t, int bf16,
                          int portable) {
#ifdef CKPT_X86
    if (ckpt_cpu_fma_cached() && !portable) { fma_scaled_fma(p, q, out, n, s, t, bf16); return; }
#endif
    fma_scaled_portable(p, q, out, n, s, t, bf16);
}

float ckpt_muon_sum_squares(const float *x, size_t n, int portable) {
#ifdef CKPT_X86
    if (ckpt_cpu_fma_cached() && !portable) return sum_squares_fma(x, n);
#endif
    return sum_squares_portable(x, n);
}

void ckpt_muon_div_bf16(float *x, size_t n, float d) {
    for (size_t i = 0; i < n; i++) x[i] = bf16_round(x[i] / d);
}

void ckpt_muon_transpose(const float *restrict x, float *restrict out, size_t rows, size_t cols) {
    enum { T = 8 };   // 8 beat 16 and 32 on [256, 1024] and [1024, 256] (Zen 4)
    for (size_t i0 = 0; i0 < rows; i0 += T) {
        const size_t i1 = rows - i0 < T ? rows : i0 + T;
        for (size_t j0 = 0; j0 < cols; j0 += T) {
            const size_t j1 = cols - j0 < T ? cols : j0 + T;
            for (size_t j = j0; j < j1; j++) {
                for (size_t i = i0; i < i1; i++) out[j * rows + i] = x[i * cols + j];
            }
        }
    }
}
