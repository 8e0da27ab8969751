// Muon's element-wise passes (Muon.swift): what Swift would run as one libm fmaf() call per
// element (its optimizer module does not target FMA). Each runs an AVX2+FMA loop when the CPU
// has FMA (unless `portable`), else a loop calling fmaf(); the bits are the same.
#ifndef CKPT_MUON_KERNELS_H
#define CKPT_MUON_KERNELS_H
#include <stddef.h>

/// out[i] = fmaf(s, p[i], q[i] * t) (the product q·t rounded first), then rounded to
/// bfloat16 (c10::BFloat16: nearest, ties to even; NaN kept) when `bf16` is nonzero.
/// `out` may be `p` or `q` (element i is read before it is written); p and q must not overlap
/// unless equal to `out`.
void ckpt_muon_fma_scaled(const float *p, const float *q, float *out, size_t n, float s, float t, int bf16,
                          int portable);

/// The sum of x[i]² as one fmaf chain in ascending i from 0.
float ckpt_muon_sum_squares(const float *x, size_t n, int portable);

/// x[i] = bfloat16(x[i] / d) in place (d = 1: just the rounding).
void ckpt_muon_div_bf16(float *x, size_t n, float d);

/// out[j·rows + i] = x[i·cols + j]: the [cols, rows] transpose of a row-major [rows, cols]
/// matrix (no overlap), in tiles so that neither side walks a column across cache lines.
void ckpt_muon_transpose(const float *x, float *out, size_t rows, size_t cols);

#endif
