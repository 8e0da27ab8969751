// Fused optimizer steps: one pass over memory per parameter per step, with PyTorch's CPU
// rounding (fused multiply-add where PyTorch's kernels use it; Tests/CkptOptimTests/
// OptimizerGoldenTests.swift compares every step's bits with PyTorch's). Scalars arrive already
// combined in double and rounded once to float, exactly as PyTorch hands them to its kernels.
// Each function picks an AVX2+FMA loop at run time (ckpt_cpu_has_fma) or a portable loop that
// calls fmaf(); both give the same bits. Every update is element-wise, so a caller may run a
// function on disjoint sub-ranges at once (CkptOptim's KernelSplit does) and get the same bits.
#ifndef CKPT_OPTIM_KERNELS_H
#define CKPT_OPTIM_KERNELS_H
#include <stddef.h>

enum {
    CKPT_OPT_MAXIMIZE = 1,       // g = -grad
    CKPT_OPT_WEIGHT_DECAY = 2,   // weight_decay != 0 (L2 unless DECOUPLED)
    CKPT_OPT_DECOUPLED = 4,      // AdamW: p *= (1 - lr*wd) before the moments
    CKPT_OPT_MOMENTUM = 8,       // SGD / RMSprop momentum != 0
    CKPT_OPT_FIRST = 16,         // SGD: momentum buffer is created (clone of g) this step
    CKPT_OPT_NESTEROV = 32,      // SGD nesterov
    CKPT_OPT_AMSGRAD = 64,       // Adam amsgrad (vmax must be non-NULL)
    CKPT_OPT_CENTERED = 128,     // RMSprop centered (grad_avg must be non-NULL)
    CKPT_OPT_PORTABLE = 256,     // use the portable fmaf() loop even on an FMA CPU (tests)
};

/// SGD: `buf` may be NULL when MOMENTUM is off. wd = f(weight_decay), mom = f(momentum),
/// one_minus_damp = f(1 - dampening), neg_lr = f(-lr).
void ckpt_sgd_step(float *p, const float *g, float *buf, size_t n, int flags,
                   float wd, float mom, float one_minus_damp, float neg_lr);

/// Adam / AdamW. wd = f(weight_decay) (L2), decay = f(1 - lr*wd) (decoupled),
/// w1 = f(1 - beta1), b2 = f(beta2), omb2 = f(1 - beta2), bc2_sqrt = f(sqrt(1 - beta2^t)),
/// eps = f(eps), neg_step_size = f(-lr / (1 - beta1^t)).
void ckpt_adam_step(float *p, const float *g, float *m, float *v, float *vmax, size_t n, int flags,
                    float wd, float decay, float w1, float b2, float omb2, float bc2_sqrt,
                    float eps, float neg_step_size);

/// RMSprop. alpha = f(alpha), oma = f(1 - alpha), mom = f(momentum), neg_lr = f(-lr).
/// `buf` used when MOMENTUM, `gavg` when CENTERED.
void ckpt_rmsprop_step(float *p, const float *g, float *sq, float *gavg, float *buf, size_t n,
                       int flags, float wd, float alpha, float oma, float eps, float mom,
                       float neg_lr);

/// Adagrad (dense). neg_clr = f(-lr / (1 + (step-1)*lr_decay)).
void ckpt_adagrad_step(float *p, const float *g, float *sum, size_t n, int flags, float wd,
                       float eps, float neg_clr);

/// Returns *next and adds 1, atomically: how the workers of a split optimizer step claim the
/// next chunk of a tensor (Swift's own atomics need macOS 15).
static inline size_t ckpt_claim_chunk(size_t *next) {
    return __atomic_fetch_add(next, 1, __ATOMIC_RELAXED);
}

/// The benchmark's memory bound for Adam / AdamW: reads p, g, m, v and writes p, m, v, as
/// ckpt_adam_step does, with one multiply-add per array instead of its arithmetic.
void ckpt_bound_adam(float *p, const float *g, float *m, float *v, size_t n);

/// The benchmark's memory bound for SGD with momentum: reads p, g, buf and writes p, buf.
void ckpt_bound_sgd(float *p, const float *g, float *buf, size_t n);

#endif
