// Element-wise activation kernels: branch-free so that a random sign pattern (half the
// elements of a ReLU's input are negative) costs no mispredicted branches.
#ifndef CKPT_CKERNELS_ACTIVATIONS_H
#define CKPT_CKERNELS_ACTIVATIONS_H
#include <stddef.h>

/// y[i] = x[i] < 0 ? 0 : x[i] (NaN and -0.0 pass through, as torch.relu keeps them).
void ckpt_relu_forward(const float *x, float *y, size_t n);

/// gx[i] = y[i] > 0 ? gy[i] : 0, where y is the ReLU's output (PyTorch's threshold_backward).
void ckpt_relu_backward(const float *y, const float *gy, float *gx, size_t n);

#endif
