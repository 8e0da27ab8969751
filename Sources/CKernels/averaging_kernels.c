// AveragedModel's SWA and EMA updates (averaging_kernels.h). Built with -ffp-contract=off: the
// SWA update rounds its subtraction, division and addition one by one, as PyTorch's CPU kernel
// does; the EMA update is torch.lerp's fused multiply-add. The scalar element functions are the
// definition; each loop is compiled for AVX2+FMA (where fmaf() is one instruction and the loop
// vectorizes) and portable.
#include "averaging_kernels.h"
#include "CKernels.h"
#include <math.h>

#include "kernel_target.h"

ALWAYS_INLINE void swa1(float *a, const float *m, size_t i, float count) {
    a[i] = a[i] + (m[i] - a[i]) / count;
}

// w is w-1 when `small` is 0, so the loop holds no branch on |w|.
ALWAYS_INLINE void lerp1(float *a, const float *m, size_t i, float w, int small) {
    float d = m[i] - a[i];
    a[i] = small ? fmaf(w, d, a[i]) : fmaf(w, d, m[i]);
}

#ifdef CKPT_X86
FMA_TARGET static void swa_fma(float *a, const float *m, size_t n, float count) {
    for (size_t i = 0; i < n; i++) swa1(a, m, i, count);
}
FMA_TARGET static void lerp_fma(float *a, const float *m, size_t n, float w, int small) {
    if (small) for (size_t i = 0; i < n; i++) lerp1(a, m, i, w, 1);
    else for (size_t i = 0; i < n; i++) lerp1(a, m, i, w, 0);
}
#endif

static void swa_portable(float *a, const float *m, size_t n, float count) {
    for (size_t i = 0; i < n; i++) swa1(a, m, i, count);
}
static void lerp_portable(float *a, const float *m, size_t n, float w, int small) {
    for (size_t i = 0; i < n; i++) lerp1(a, m, i, w, small);
}

void ckpt_avg_swa(float *avg, const float *model, size_t n, float count, int portable) {
#ifdef CKPT_X86
    if (ckpt_cpu_fma_cached() && !portable) { swa_fma(avg, model, n, count); return; }
#endif
    swa_portable(avg, model, n, count);
}

void ckpt_avg_lerp(float *avg, const float *model, size_t n, float w, int portable) {
    int small = fabsf(w) < 0.5f;
    float wk = small ? w : w - 1.0f;
#ifdef CKPT_X86
    if (ckpt_cpu_fma_cached() && !portable) { lerp_fma(avg, model, n, wk, small); return; }
#endif
    lerp_portable(avg, model, n, wk, small);
}
