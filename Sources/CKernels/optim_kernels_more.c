// Fused steps of Adamax, NAdam, RAdam, Adadelta, ASGD and Rprop with PyTorch's CPU rounding.
// The scalar element functions are the definition (built with -ffp-contract=off: every
// multiply and add rounds on its own unless written fmaf(), as PyTorch's kernels fuse them).
// Each loop is compiled twice from the same element function: once for AVX2+FMA, where fmaf()
// is one instruction and the compiler may vectorize, once portable, calling libm's fmaf();
// the bits are the same.
#include "optim_kernels_more.h"
#include "optim_kernels.h"
#include "CKernels.h"
#include <math.h>

#include "kernel_target.h"
#include "torch_lerp.h"

// IEEE square root without errno handling (sqrtf's errno check keeps loops scalar).
#if defined(__has_builtin)
#if __has_builtin(__builtin_elementwise_sqrt)
#define SQRT(x) __builtin_elementwise_sqrt(x)
#endif
#endif
#ifndef SQRT
#define SQRT(x) sqrtf(x)
#endif

// torch.maximum: NaN if either side is NaN.
ALWAYS_INLINE float maximum_nan(float a, float b) {
    if (a != a) return a;
    if (b != b) return b;
    return a > b ? a : b;
}

// torch.sign: -1, 0 or 1; NaN stays NaN.
ALWAYS_INLINE float sign_nan(float x) {
    if (x > 0.0f) return 1.0f;
    if (x < 0.0f) return -1.0f;
    return x != x ? x : 0.0f;
}

// The grad after maximize and L2 weight decay (grad.add(p, alpha=wd)); `*pi` gets the
// decoupled decay (p.mul_(1 - lr*wd)) when DECOUPLED.
ALWAYS_INLINE float grad_in(float gi, float *pi, int flags, float wd, float decay) {
    if (flags & CKPT_OPT_MAXIMIZE) gi = -gi;
    if (flags & CKPT_OPT_WEIGHT_DECAY) {
        if (flags & CKPT_OPT_DECOUPLED) *pi = *pi * decay;
        else gi = fmaf(*pi, wd, gi);
    }
    return gi;
}

// Defines ckpt_<name>_step: the FMA loop when the CPU has FMA (unless PORTABLE), else the
// portable loop; both run `ELEMENT(i)` for every i.
#ifdef CKPT_X86
#define DISPATCH(name, ARGS, CALL)                                                         \
    FMA_TARGET static void name##_fma ARGS { for (size_t i = 0; i < n; i++) CALL; }        \
    static void name##_portable ARGS { for (size_t i = 0; i < n; i++) CALL; }
#define RUN(name, flags, ...)                                                              \
    do {                                                                                   \
        if (ckpt_cpu_fma_cached() && !((flags) & CKPT_OPT_PORTABLE)) name##_fma(__VA_ARGS__);          \
        else name##_portable(__VA_ARGS__);                                                 \
    } while (0)
#else
#define DISPATCH(name, ARGS, CALL)                                                         \
    static void name##_portable ARGS { for (size_t i = 0; i < n; i++) CALL; }
#define RUN(name, flags, ...) name##_portable(__VA_ARGS__)
#endif

/* ---------------------------------------------------------------- Adamax */

ALWAYS_INLINE void adamax1(float *p, const float *g, float *m, float *u, size_t i, int flags,
                           float wd, float w1, float b2, float eps, float neg_clr) {
    float pi = p[i];
    float gi = grad_in(g[i], &pi, flags & ~CKPT_OPT_DECOUPLED, wd, 1.0f);
    float mi = lerp1(m[i], gi, w1);                                   // exp_avg.lerp_(g, 1-beta1)
    float ui = maximum_nan(u[i] * b2, fabsf(gi) + eps);               // maximum(u*b2, |g|+eps)
    m[i] = mi;
    u[i] = ui;
    p[i] = pi + (neg_clr * mi) / ui;                                   // addcdiv_(m, u, -clr)
}

DISPATCH(adamax, (float *p, const float *g, float *m, float *u, size_t n, int flags, float wd,
                  float w1, float b2, float eps, float neg_clr),
         adamax1(p, g, m, u, i, flags, wd, w1, b2, eps, neg_clr))

void ckpt_adamax_step(float *p, const float *g, float *m, float *u, size_t n, int flags,
                      float wd, float w1, float b2, float eps, float neg_clr) {
    RUN(adamax, flags, p, g, m, u, n, flags, wd, w1, b2, eps, neg_clr);
}

/* ---------------------------------------------------------------- NAdam */

ALWAYS_INLINE void nadam1(float *p, const float *g, float *m, float *v, size_t i, int flags,
                          float wd, float decay, float w1, float b2, float omb2, float bc2,
                          float eps, float gs, float as) {
    float pi = p[i];
    float gi = grad_in(g[i], &pi, flags, wd, decay);
    float mi = lerp1(m[i], gi, w1);
    float vi = fmaf(omb2 * gi, gi, v[i] * b2);                         // mul_(b2).addcmul_(g, g, 1-b2)
    m[i] = mi;
    v[i] = vi;
    float denom = SQRT(vi / bc2) + eps;                              // (v / bc2).sqrt() + eps
    pi = pi + (gs * gi) / denom;                                       // addcdiv_(g, denom, grad_scale)
    p[i] = pi + (as * mi) / denom;                                     // addcdiv_(m, denom, avg_scale)
}

DISPATCH(nadam, (float *p, const float *g, float *m, float *v, size_t n, int flags, float wd,
                 float decay, float w1, float b2, float omb2, float bc2, float eps, float gs, float as),
         nadam1(p, g, m, v, i, flags, wd, decay, w1, b2, omb2, bc2, eps, gs, as))

void ckpt_nadam_step(float *p, const float *g, float *m, float *v, size_t n, int flags,
                     float wd, float decay, float w1, float b2, float omb2, float bc2, float eps,
                     float grad_scale, float avg_scale) {
    RUN(nadam, flags, p, g, m, v, n, flags, wd, decay, w1, b2, omb2, bc2, eps, grad_scale, avg_scale);
}

/* ---------------------------------------------------------------- RAdam */

ALWAYS_INLINE void radam1(float *p, const float *g, float *m, float *v, size_t i, int flags,
                          float wd, float decay, float w1, float b2, float omb2, float bc1,
                          float lr, int rectified, float bc2s, float eps, float rect) {
    float pi = p[i];
    float gi = grad_in(g[i], &pi, flags, wd, decay);
    float mi = lerp1(m[i], gi, w1);
    float vi = fmaf(omb2 * gi, gi, v[i] * b2);
    m[i] = mi;
    v[i] = vi;
    float update = (mi / bc1) * lr;                                    // bias_corrected_exp_avg * lr
    if (rectified) {
        float adaptive = (1.0f / (SQRT(vi) + eps)) * bc2s;           // bc2**0.5 / (sqrt(v)+eps): reciprocal * scalar
        update = (update * adaptive) * rect;
    }
    p[i] = pi - update;                                                // add_(update, alpha=-1)
}

DISPATCH(radam, (float *p, const float *g, float *m, float *v, size_t n, int flags, float wd,
                 float decay, float w1, float b2, float omb2, float bc1, float lr, int rectified,
                 float bc2s, float eps, float rect),
         radam1(p, g, m, v, i, flags, wd, decay, w1, b2, omb2, bc1, lr, rectified, bc2s, eps, rect))

void ckpt_radam_step(float *p, const float *g, float *m, float *v, size_t n, int flags,
                     float wd, float decay, float w1, float b2, float omb2, float bc1, float lr,
                     int rectified, float bc2_sqrt, float eps, float rect) {
    RUN(radam, flags, p, g, m, v, n, flags, wd, decay, w1, b2, omb2, bc1, lr, rectified, bc2_sqrt, eps, rect);
}

/* ---------------------------------------------------------------- Adadelta */

ALWAYS_INLINE void adadelta1(float *p, const float *g, float *sq, float *acc, size_t i, int flags,
                             float wd, float rho, float omr, float eps, float neg_lr) {
    float pi = p[i];
    float gi = grad_in(g[i], &pi, flags & ~CKPT_OPT_DECOUPLED, wd, 1.0f);
    float si = fmaf(omr * gi, gi, sq[i] * rho);                        // square_avg.mul_(rho).addcmul_(g, g, 1-rho)
    float std = SQRT(si + eps);
    float delta = (SQRT(acc[i] + eps) / std) * gi;                    // sqrt(acc+eps).div_(std).mul_(g)
    sq[i] = si;
    acc[i] = fmaf(omr * delta, delta, acc[i] * rho);
    p[i] = fmaf(delta, neg_lr, pi);                                    // add_(delta, alpha=-lr)
}

DISPATCH(adadelta, (float *p, const float *g, float *sq, float *acc, size_t n, int flags, float wd,
                    float rho, float omr, float eps, float neg_lr),
         adadelta1(p, g, sq, acc, i, flags, wd, rho, omr, eps, neg_lr))

void ckpt_adadelta_step(float *p, const float *g, float *sq, float *acc, size_t n, int flags,
                        float wd, float rho, float omr, float eps, float neg_lr) {
    RUN(adadelta, flags, p, g, sq, acc, n, flags, wd, rho, omr, eps, neg_lr);
}

/* ---------------------------------------------------------------- ASGD */

ALWAYS_INLINE void asgd1(float *p, const float *g, float *ax, size_t i, int flags, float wd,
                         float decay, float neg_eta, float mu) {
    float pi = p[i];
    float gi = grad_in(g[i], &pi, flags & ~CKPT_OPT_DECOUPLED, wd, 1.0f);
    pi = fmaf(gi, neg_eta, pi * decay);                                // mul_(1-lambd*eta).add_(g, alpha=-eta)
    p[i] = pi;
    ax[i] = mu != 1.0f ? ax[i] + (pi - ax[i]) * mu : pi;               // ax.add_(p.sub(ax).mul_(mu)) or copy_
}

DISPATCH(asgd, (float *p, const float *g, float *ax, size_t n, int flags, float wd, float decay,
                float neg_eta, float mu),
         asgd1(p, g, ax, i, flags, wd, decay, neg_eta, mu))

void ckpt_asgd_step(float *p, const float *g, float *ax, size_t n, int flags,
                    float wd, float decay, float neg_eta, float mu) {
    RUN(asgd, flags, p, g, ax, n, flags, wd, decay, neg_eta, mu);
}

/* ---------------------------------------------------------------- Rprop */

ALWAYS_INLINE void rprop1(float *p, const float *g, float *prev, float *size, size_t i, int flags,
                          float eta_minus, float eta_plus, float lo, float hi) {
    float gi = (flags & CKPT_OPT_MAXIMIZE) ? -g[i] : g[i];
    float s = sign_nan(gi * prev[i]);                                  // grad.mul(prev).sign()
    if (s > 0.0f) s = eta_plus;
    else if (s < 0.0f) s = eta_minus;
    else if (s == 0.0f) s = 1.0f;
    float st = size[i] * s;                                            // step_size.mul_(sign).clamp_(lo, hi)
    if (st == st) st = fminf(fmaxf(st, lo), hi);
    size[i] = st;
    if (s == eta_minus) gi = 0.0f;                                     // grad[sign.eq(etaminus)] = 0
    p[i] = fmaf(-1.0f * sign_nan(gi), st, p[i]);                       // addcmul_(grad.sign(), step_size, value=-1)
    prev[i] = gi;
}

DISPATCH(rprop, (float *p, const float *g, float *prev, float *size, size_t n, int flags,
                 float eta_minus, float eta_plus, float lo, float hi),
         rprop1(p, g, prev, size, i, flags, eta_minus, eta_plus, lo, hi))

void ckpt_rprop_step(float *p, const float *g, float *prev, float *step_size, size_t n, int flags,
                     float eta_minus, float eta_plus, float lo, float hi) {
    RUN(rprop, flags, p, g, prev, step_size, n, flags, eta_minus, eta_plus, lo, hi);
}
