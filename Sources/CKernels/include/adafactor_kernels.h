// torch.optim.Adafactor's per-element work on CPU, in three kinds of pass (CkptOptim's
// Adafactor calls them on fixed pieces of a tensor, on any number of threads):
//   1. factored parameters only: row and column sums of g² over fixed tiles (ckpt_adafactor_tile_sums);
//   2. the sums of squares of p and of the update, per fixed 64 Ki-element chunk, the vector
//      variance's lerp on the way (ckpt_adafactor_{vector,factored}_sums);
//   3. p = fma(update, scale, p * decay), the update recomputed from g and the second moment
//      (ckpt_adafactor_{vector,factored}_apply): it is never stored.
// Every sum is in double of exact float products (a float's square is exact in double), in an
// order fixed by the piece alone: eight lanes, lane j taking the piece's elements j, j+8, ...,
// combined as ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)) (ckpt_adafactor_lanes). Each function runs an
// AVX2+FMA loop on an FMA CPU unless `flags` has CKPT_OPT_PORTABLE, else a portable loop; both give
// the same bits. Flags are optim_kernels.h's: CKPT_OPT_MAXIMIZE (the update uses -g),
// CKPT_OPT_WEIGHT_DECAY (p is multiplied by `decay` before the update is added), CKPT_OPT_PORTABLE.
#ifndef CKPT_ADAFACTOR_KERNELS_H
#define CKPT_ADAFACTOR_KERNELS_H
#include <stddef.h>

/// One tile of a row-major matrix whose rows are `stride` floats apart: `h` rows of `w`
/// columns from `g`. row_part[r] = Σ_c g[r][c]² (eight lanes over c); col_part[c] = Σ_r g[r][c]²,
/// one chain in ascending r (written, not added to).
void ckpt_adafactor_tile_sums(const float *g, size_t stride, size_t h, size_t w,
                              double *row_part, double *col_part, int flags);

/// A vector parameter's chunk of `n` elements: var = lerp(var, g*g, beta2t) (torch.lerp's
/// rounding), then sums[0] = Σ p², sums[1] = Σ u² with u = (1 / sqrt(max(var, floor))) * g.
void ckpt_adafactor_vector_sums(const float *p, const float *g, float *var, size_t n,
                                float beta2t, float floor, int flags, double sums[2]);

/// A vector parameter's chunk: p = fma(u, scale, p*decay) with u as above (from the new var),
/// g negated under CKPT_OPT_MAXIMIZE, p*decay only under CKPT_OPT_WEIGHT_DECAY.
void ckpt_adafactor_vector_apply(float *p, const float *g, const float *var, size_t n,
                                 float floor, float decay, float scale, int flags);

/// A factored parameter of batches of [rows, cols] matrices: elements start..<start+n of p and g
/// (both pointing at element 0 of the whole tensor). Element (b, r, c) has the estimate
/// est = row_var[b*rows+r] * col_var[b*cols+c] / row_mean[b] (two roundings) and the update
/// u = (1 / sqrt(max(est, floor))) * g. sums[0] = Σ p², sums[1] = Σ u², lanes counted from `start`.
void ckpt_adafactor_factored_sums(const float *p, const float *g, size_t start, size_t n,
                                  size_t rows, size_t cols, const float *row_var,
                                  const float *col_var, const float *row_mean, float floor,
                                  int flags, double sums[2]);

/// A factored parameter's elements start..<start+n: p = fma(u, scale, p*decay), u as above.
void ckpt_adafactor_factored_apply(float *p, const float *g, size_t start, size_t n, size_t rows,
                                   size_t cols, const float *row_var, const float *col_var,
                                   const float *row_mean, float floor, float decay, float scale,
                                   int flags);

#endif
