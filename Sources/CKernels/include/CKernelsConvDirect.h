// Direct (im2col-free) kernels for stride-1, unpadded convolutions with few output channels
// (LeNet's conv1). They read one sample's input rows in place, so a batch of 64 no longer
// writes and re-reads 15 MB of im2col columns per step.
#ifndef CKPT_CKERNELS_CONV_DIRECT_H
#define CKPT_CKERNELS_CONV_DIRECT_H

/// out[o][y][t] = bias[o] + sum over (c, i, j) ascending of w[o][c][i][j] * x[c][y+i][t+j] for
/// one sample x [C, H, W], w [O, C, kh, kw], out [O, OH, OW] (`bias` may be NULL). The same
/// fused multiply-add chain per element as ckpt_conv_forward over ckpt_im2col_s1's columns,
/// so the two give identical bits. Needs OW >= 8 and ckpt_conv_weight_grad_available().
void ckpt_conv_forward_s1(const float *x, int C, int H, int W, int kh, int kw,
                          const float *w, const float *bias, int O, float *out);

/// gw[o][c][i][j] (+)= sum over (y, t) of gy[o][y][t] * x[c][y+i][t+j] for one sample; adds
/// when `accumulate` is non-zero, else overwrites. Each sum runs in a fixed order (per row,
/// 8 FMA lanes then a zero-padded tail; lanes added pairwise at the end), so it depends only on
/// the shapes. Needs OW >= 8 and ckpt_conv_weight_grad_available().
void ckpt_conv_weight_grad_s1(const float *gy, const float *x, int C, int H, int W, int kh, int kw,
                              int O, float *gw, int accumulate);

#endif
