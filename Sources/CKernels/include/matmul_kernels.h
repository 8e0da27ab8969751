// A matrix product whose every element is summed in one fixed order: what Muon's
// Newton-Schulz iteration needs to reproduce PyTorch's rounding step by step (Muon.swift).
#ifndef CKPT_MATMUL_KERNELS_H
#define CKPT_MATMUL_KERNELS_H
#include <stddef.h>

/// C[m, n] = A[m, k] · B[k, n] (row-major, no aliasing), where every C[i, j] is accumulated
/// from 0 by fmaf(A[i, kk], B[kk, j], acc) for kk = 0, 1, ..., k-1: the bits of that scalar
/// loop, whatever the vector width or blocking. Unless `portable`: AVX-512 bfloat16 dot
/// products when the CPU has them and every input is a bfloat16 value in the range where they
/// are exact (Muon's case), else register-blocked AVX2+FMA when the CPU has FMA; otherwise a
/// loop calling fmaf(). The bits are the same on every path.
void ckpt_matmul_ordered(const float *a, const float *b, float *c, size_t m, size_t n, size_t k, int portable);

/// `flags` of ckpt_matmul_ordered_strided: the portable loop; or, a promise that every value
/// of A and B passed ckpt_matmul_bf16_exact (the kernel then skips that check; a broken
/// promise gives wrong bits).
enum { CKPT_MATMUL_PORTABLE = 1, CKPT_MATMUL_BF16_CHECKED = 2 };

/// ckpt_matmul_ordered on sub-matrices: row i of A starts at a + i·lda, row kk of B at
/// b + kk·ldb, row i of C at c + i·ldc (lda >= k, ldb >= n, ldc >= n); the same bits.
/// Lets a caller compute a block of C alone (Muon computes half of a symmetric product,
/// block by block, checking its inputs once with ckpt_matmul_bf16_exact).
void ckpt_matmul_ordered_strided(const float *a, size_t lda, const float *b, size_t ldb, float *c, size_t ldc,
                                 size_t m, size_t n, size_t k, int flags);

/// 1 when the CPU has the bfloat16 path and x[0 ..< count] are all values it computes exactly
/// (0, or bfloat16 values of magnitude in [2^-55, 2^50)).
int ckpt_matmul_bf16_exact(const float *x, size_t count);

#endif
