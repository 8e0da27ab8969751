// Private to CKernels: torch.lerp's CPU rounding, one element and eight lanes, for the optimizer
// kernels that lerp a moment (Adam, RMSprop, Adamax, NAdam, RAdam, Adafactor).
#ifndef CKPT_TORCH_LERP_H
#define CKPT_TORCH_LERP_H
#include <math.h>
#include "kernel_target.h"

// torch.lerp(s, e, w) on CPU: fma(w, e-s, s) when |w| < 0.5, else fma(w-1, e-s, e).
ALWAYS_INLINE float lerp1(float s, float e, float w) {
    return fabsf(w) < 0.5f ? fmaf(w, e - s, s) : fmaf(w - 1.0f, e - s, e);
}

#ifdef CKPT_X86
#include <immintrin.h>
// Eight lanes of lerp1; `w` is already w-1 when `small` (|w| < 0.5) is 0, so loops hoist the test.
FMA_TARGET static inline __m256 lerp8(__m256 s, __m256 e, __m256 w, int small) {
    __m256 d = _mm256_sub_ps(e, s);
    return small ? _mm256_fmadd_ps(w, d, s) : _mm256_fmadd_ps(w, d, e);
}
#endif

#endif
