// The ordered matrix product of matmul_kernels.h. Loop order i, kk, j: for a fixed output row,
// each step adds A[i, kk] · B[kk, :] to the whole row, so every element still sees kk in
// ascending order (its own sequential fmaf chain) while the j loop vectorizes over contiguous
// B and C. Built with -ffp-contract=off; fmaf is exact either way, so the FMA and portable
// loops give the same bits.
#include "matmul_kernels.h"
#include "CKernels.h"
#include <math.h>

#include "kernel_target.h"

ALWAYS_INLINE void matmul_body(const float *restrict a, const float *restrict b, float *restrict c,
                               size_t m, size_t n, size_t k) {
    for (size_t i = 0; i < m; i++) {
        float *restrict row = c + i * n;
        for (size_t j = 0; j < n; j++) row[j] = 0.0f;
        for (size_t kk = 0; kk < k; kk++) {
            const float x = a[i * k + kk];
            const float *restrict brow = b + kk * n;
            for (size_t j = 0; j < n; j++) row[j] = fmaf(x, brow[j], row[j]);
        }
    }
}

#ifdef CKPT_X86
FMA_TARGET static void matmul_fma(const float *a, const float *b, float *c, size_t m, size_t n, size_t k) {
    matmul_body(a, b, c, m, n, k);
}
#endif

static void matmul_portable(const float *a, const float *b, float *c, size_t m, size_t n, size_t k) {
    matmul_body(a, b, c, m, n, k);
}

void ckpt_matmul_ordered(const float *a, const float *b, float *c, size_t m, size_t n, size_t k, int portable) {
#ifdef CKPT_X86
    if (ckpt_cpu_fma_cached() && !portable) { matmul_fma(a, b, c, m, n, k); return; }
#endif
    matmul_portable(a, b, c, m, n, k);
}
