// The two weight averages of torch.optim.swa_utils.AveragedModel on CPU, in place, with
// PyTorch's float32 rounding. Element-wise: a caller may run them on disjoint sub-ranges at once
// (AveragedModel does, in KernelSplit chunks) and get the bits of one call. Each runs an AVX2+FMA
// loop when the CPU has FMA (unless `portable`), else a loop calling fmaf(); the bits are the same.
#ifndef CKPT_AVERAGING_KERNELS_H
#define CKPT_AVERAGING_KERNELS_H
#include <stddef.h>

/// SWA (get_swa_avg_fn on CPU): avg = avg + (model - avg) / count, each operation rounded
/// (no fused multiply-add); count = f(n_averaged + 1).
void ckpt_avg_swa(float *avg, const float *model, size_t n, float count, int portable);

/// EMA (get_ema_multi_avg_fn: _foreach_lerp_(avg, model, w)): torch.lerp's CPU rounding,
/// fma(w, model-avg, avg) when |w| < 0.5, else fma(w-1, model-avg, model); w = f(1 - decay).
void ckpt_avg_lerp(float *avg, const float *model, size_t n, float w, int portable);

#endif
