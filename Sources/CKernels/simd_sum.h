// Private to CKernels: the horizontal sum both convolution files use.
#ifndef CKPT_SIMD_SUM_H
#define CKPT_SIMD_SUM_H
#include <immintrin.h>

/* The eight lanes summed in a fixed order: halves added, then pairs, then the last two. */
static inline float hsum(__m256 v) __attribute__((target("avx2,fma")));
static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

#endif
