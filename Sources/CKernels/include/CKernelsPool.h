// Max pooling kernels of the training core (CkptCore's MaxPool2d).
#ifndef CKPT_CKERNELS_POOL_H
#define CKPT_CKERNELS_POOL_H
#include <stddef.h>
#include <stdint.h>

/// 2x2, stride-2 max pooling of `planes` planes [H, W] into [H/2, W/2], with idx the arg-max's
/// position inside its input plane. PyTorch's CPU rules: the first maximum in window order
/// (row 0 left, right, row 1 left, right) wins ties; a NaN wins over numbers and a later NaN over
/// an earlier one. Eight outputs per AVX2 step where the CPU has it; a window holding a NaN
/// takes the scalar path.
void ckpt_maxpool2x2(const float *x, size_t planes, int H, int W, float *y, int32_t *idx);

#endif
