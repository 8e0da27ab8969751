// Fused steps of the optimizers added after the first five (Adamax, NAdam, RAdam, Adadelta,
// ASGD, Rprop): one pass over memory per parameter, with PyTorch's CPU rounding. Flags are
// optim_kernels.h's CKPT_OPT_* (MAXIMIZE, WEIGHT_DECAY, DECOUPLED, PORTABLE). Scalars arrive
// combined in double and rounded once to float, as PyTorch hands them to its kernels
// (f(x) below). Each runs an FMA-targeted loop when the CPU has FMA, else a loop calling
// fmaf(); both give the same bits (MoreOptimizersGoldenTests checks both against PyTorch).
#ifndef CKPT_OPTIM_KERNELS_MORE_H
#define CKPT_OPTIM_KERNELS_MORE_H
#include <stddef.h>

/// Adamax. wd = f(weight_decay), w1 = f(1-beta1), b2 = f(beta2), neg_clr = f(-lr/(1-beta1^t)).
void ckpt_adamax_step(float *p, const float *g, float *m, float *u, size_t n, int flags,
                      float wd, float w1, float b2, float eps, float neg_clr);

/// NAdam. decay = f(1 - lr*wd) (DECOUPLED), bc2 = f(1 - beta2^t),
/// grad_scale = f(-lr*(1-mu)/(1-mu_product)), avg_scale = f(-lr*mu_next/(1-mu_product_next)).
void ckpt_nadam_step(float *p, const float *g, float *m, float *v, size_t n, int flags,
                     float wd, float decay, float w1, float b2, float omb2, float bc2, float eps,
                     float grad_scale, float avg_scale);

/// RAdam. bc1 = f(1 - beta1^t), lr = f(lr); when `rectified` (rho_t > 5),
/// bc2_sqrt = f(sqrt(1 - beta2^t)) and rect = f(rectification term).
void ckpt_radam_step(float *p, const float *g, float *m, float *v, size_t n, int flags,
                     float wd, float decay, float w1, float b2, float omb2, float bc1, float lr,
                     int rectified, float bc2_sqrt, float eps, float rect);

/// Adadelta. rho = f(rho), omr = f(1-rho), neg_lr = f(-lr).
void ckpt_adadelta_step(float *p, const float *g, float *sq, float *acc, size_t n, int flags,
                        float wd, float rho, float omr, float eps, float neg_lr);

/// ASGD. decay = f(1 - lambd*eta), neg_eta = f(-eta), mu = the float32 state value.
void ckpt_asgd_step(float *p, const float *g, float *ax, size_t n, int flags,
                    float wd, float decay, float neg_eta, float mu);

/// Rprop. eta_minus/eta_plus = f(etas), lo/hi = f(step_sizes).
void ckpt_rprop_step(float *p, const float *g, float *prev, float *step_size, size_t n, int flags,
                     float eta_minus, float eta_plus, float lo, float hi);

#endif
