// Convolution kernels of the training core (CkptCore's Conv2d).
#ifndef CKPT_CKERNELS_CONV_H
#define CKPT_CKERNELS_CONV_H
#include <stddef.h>

/// 1 when this file's kernels and the direct ones (CKernelsConvDirect.h) can run on this CPU
/// (x86-64 with AVX2 and FMA; elsewhere 0, and Conv2d takes its Swift and sgemm paths).
int ckpt_conv_weight_grad_available(void);

/// The weight gradient of one sample of an im2col convolution:
/// gw[o*K + k] (+)= sum over l of gy[o*L + l] * col[k*L + l], for o < O, k < K.
/// Adds to gw when `accumulate` is non-zero, else overwrites. Each sum runs over l in a fixed
/// order (8 FMA lanes, then the lanes pairwise, then the tail), so results depend only on the
/// shapes. Faster than OpenBLAS sgemm for LeNet's first layer (O=6, K=75, L=784), where the
/// output is tiny and the summed dimension long.
void ckpt_conv_weight_grad(const float *gy, const float *col, int O, int K, int L, float *gw, int accumulate);

/// The forward product of one sample of an im2col convolution:
/// out[o*L + l] = bias[o] + sum over k (ascending) of w[o*K + k] * col[k*L + l] (`bias` may be
/// NULL). One fused multiply-add chain per output element, so the result depends only on the
/// shapes. Used where it beats OpenBLAS 2.5x: few output channels, long rows (LeNet's conv1).
void ckpt_conv_forward(const float *w, const float *bias, const float *col, int O, int K, int L, float *out);

/// im2col for stride 1, no padding: col[((c*kh + i)*kw + j)*ld + y*OW + t] = x[c][y+i][j+t]
/// with OH = H-kh+1, OW = W-kw+1 (x is one sample [C, H, W]); ld >= OH*OW is the distance
/// between column rows (several samples' columns side by side share rows).
void ckpt_im2col_s1(const float *x, int C, int H, int W, int kh, int kw, float *col, size_t ld);

/// The adjoint of ckpt_im2col_s1: adds every column entry into x (which it does not clear).
void ckpt_col2im_s1(const float *col, int C, int H, int W, int kh, int kw, float *x, size_t ld);

#endif
