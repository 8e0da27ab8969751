// Fused optimizer kernels with PyTorch's CPU rounding. The scalar element functions below are
// the definition; the AVX2 loops compute the same operations eight lanes at a time and call
// the scalar functions for the tail. Built with -ffp-contract=off, so every multiply and add
// is rounded on its own unless written as fmaf()/_mm256_fmadd_ps, as PyTorch's kernels do.
#include "optim_kernels.h"
#include "CKernels.h"
#include <math.h>

#include "kernel_target.h"
#include "torch_lerp.h"
#ifdef CKPT_X86
#include <immintrin.h>
#define AVX2 FMA_TARGET
#endif

// torch.maximum propagates NaN.
ALWAYS_INLINE float max_nan(float a, float b) {
    if (a != a) return a;
    if (b != b) return b;
    return a > b ? a : b;
}

/* ---------------------------------------------------------------- SGD */

ALWAYS_INLINE void sgd1(float *p, const float *g, float *buf, size_t i, int flags, float wd,
                        float mom, float omd, float neg_lr) {
    float gi = g[i];
    if (flags & CKPT_OPT_MAXIMIZE) gi = -gi;
    if (flags & CKPT_OPT_WEIGHT_DECAY) gi = fmaf(p[i], wd, gi);        // grad.add(p, alpha=wd)
    if (flags & CKPT_OPT_MOMENTUM) {
        float b = (flags & CKPT_OPT_FIRST) ? gi : fmaf(gi, omd, buf[i] * mom); // mul_(m).add_(g, 1-d)
        buf[i] = b;
        gi = (flags & CKPT_OPT_NESTEROV) ? fmaf(b, mom, gi) : b;      // g.add(buf, alpha=m)
    }
    p[i] = fmaf(gi, neg_lr, p[i]);                                     // p.add_(g, alpha=-lr)
}

#ifdef CKPT_X86
AVX2 static void sgd_avx2(float *p, const float *g, float *buf, size_t n, int flags, float wd,
                          float mom, float omd, float neg_lr) {
    const __m256 vwd = _mm256_set1_ps(wd), vmom = _mm256_set1_ps(mom);
    const __m256 vomd = _mm256_set1_ps(omd), vlr = _mm256_set1_ps(neg_lr);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i);
        __m256 pi = _mm256_loadu_ps(p + i);
        if (flags & CKPT_OPT_MAXIMIZE) gi = _mm256_xor_ps(gi, sign);
        if (flags & CKPT_OPT_WEIGHT_DECAY) gi = _mm256_fmadd_ps(pi, vwd, gi);
        if (flags & CKPT_OPT_MOMENTUM) {
            __m256 b = (flags & CKPT_OPT_FIRST)
                ? gi
                : _mm256_fmadd_ps(gi, vomd, _mm256_mul_ps(_mm256_loadu_ps(buf + i), vmom));
            _mm256_storeu_ps(buf + i, b);
            gi = (flags & CKPT_OPT_NESTEROV) ? _mm256_fmadd_ps(b, vmom, gi) : b;
        }
        _mm256_storeu_ps(p + i, _mm256_fmadd_ps(gi, vlr, pi));
    }
    for (; i < n; i++) sgd1(p, g, buf, i, flags, wd, mom, omd, neg_lr);
}
#endif

static void sgd_portable(float *p, const float *g, float *buf, size_t n, int flags, float wd,
                         float mom, float omd, float neg_lr) {
    for (size_t i = 0; i < n; i++) sgd1(p, g, buf, i, flags, wd, mom, omd, neg_lr);
}

void ckpt_sgd_step(float *p, const float *g, float *buf, size_t n, int flags, float wd,
                   float mom, float one_minus_damp, float neg_lr) {
#ifdef CKPT_X86
    if (ckpt_cpu_fma_cached() && !(flags & CKPT_OPT_PORTABLE)) { sgd_avx2(p, g, buf, n, flags, wd, mom, one_minus_damp, neg_lr); return; }
#endif
    sgd_portable(p, g, buf, n, flags, wd, mom, one_minus_damp, neg_lr);
}

/* ---------------------------------------------------------------- Adam / AdamW */

ALWAYS_INLINE void adam1(float *p, const float *g, float *m, float *v, float *vmax, size_t i,
                         int flags, float wd, float decay, float w1, float b2, float omb2,
                         float bc2s, float eps, float nss) {
    float gi = g[i], pi = p[i];
    if (flags & CKPT_OPT_MAXIMIZE) gi = -gi;
    if (flags & CKPT_OPT_WEIGHT_DECAY) {
        if (flags & CKPT_OPT_DECOUPLED) pi = pi * decay;               // p.mul_(1 - lr*wd)
        else gi = fmaf(pi, wd, gi);                                    // grad.add(p, alpha=wd)
    }
    float mi = lerp1(m[i], gi, w1);                                    // m.lerp_(g, 1-beta1)
    m[i] = mi;
    float vi = fmaf(omb2 * gi, gi, v[i] * b2);                         // v.mul_(b2).addcmul_(g, g, 1-b2)
    v[i] = vi;
    if (flags & CKPT_OPT_AMSGRAD) { vi = max_nan(vmax[i], vi); vmax[i] = vi; }
    float denom = sqrtf(vi) / bc2s + eps;                              // (sqrt(v)/bc2_sqrt).add_(eps)
    p[i] = pi + (nss * mi) / denom;                                    // p.addcdiv_(m, denom, -step_size)
}

#ifdef CKPT_X86
AVX2 static inline __m256 max_nan8(__m256 a, __m256 b) {
    __m256 r = _mm256_max_ps(a, b);                       // b when either is NaN
    return _mm256_blendv_ps(r, a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
}

AVX2 static void adam_avx2(float *p, const float *g, float *m, float *v, float *vmax, size_t n,
                           int flags, float wd, float decay, float w1, float b2, float omb2,
                           float bc2s, float eps, float nss) {
    const int small = fabsf(w1) < 0.5f;
    const __m256 vw1 = _mm256_set1_ps(small ? w1 : w1 - 1.0f);
    const __m256 vwd = _mm256_set1_ps(wd), vdecay = _mm256_set1_ps(decay);
    const __m256 vb2 = _mm256_set1_ps(b2), vomb2 = _mm256_set1_ps(omb2);
    const __m256 vbc = _mm256_set1_ps(bc2s), veps = _mm256_set1_ps(eps);
    const __m256 vnss = _mm256_set1_ps(nss), sign = _mm256_set1_ps(-0.0f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i), pi = _mm256_loadu_ps(p + i);
        if (flags & CKPT_OPT_MAXIMIZE) gi = _mm256_xor_ps(gi, sign);
        if (flags & CKPT_OPT_WEIGHT_DECAY) {
            if (flags & CKPT_OPT_DECOUPLED) pi = _mm256_mul_ps(pi, vdecay);
            else gi = _mm256_fmadd_ps(pi, vwd, gi);
        }
        __m256 mi = lerp8(_mm256_loadu_ps(m + i), gi, vw1, small);
        _mm256_storeu_ps(m + i, mi);
        __m256 vi = _mm256_fmadd_ps(_mm256_mul_ps(vomb2, gi), gi,
                                    _mm256_mul_ps(_mm256_loadu_ps(v + i), vb2));
        _mm256_storeu_ps(v + i, vi);
        if (flags & CKPT_OPT_AMSGRAD) {
            vi = max_nan8(_mm256_loadu_ps(vmax + i), vi);
            _mm256_storeu_ps(vmax + i, vi);
        }
        __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), vbc), veps);
        _mm256_storeu_ps(p + i, _mm256_add_ps(pi, _mm256_div_ps(_mm256_mul_ps(vnss, mi), denom)));
    }
    for (; i < n; i++) adam1(p, g, m, v, vmax, i, flags, wd, decay, w1, b2, omb2, bc2s, eps, nss);
}
#endif

void ckpt_adam_step(float *p, const float *g, float *m, float *v, float *vmax, size_t n, int flags,
                    float wd, float decay, float w1, float b2, float omb2, float bc2_sqrt,
                    float eps, float neg_step_size) {
#ifdef CKPT_X86
    if (ckpt_cpu_fma_cached() && !(flags & CKPT_OPT_PORTABLE)) {
        adam_avx2(p, g, m, v, vmax, n, flags, wd, decay, w1, b2, omb2, bc2_sqrt, eps, neg_step_size);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++)
        adam1(p, g, m, v, vmax, i, flags, wd, decay, w1, b2, omb2, bc2_sqrt, eps, neg_step_size);
}

/* ---------------------------------------------------------------- RMSprop */

ALWAYS_INLINE void rmsprop1(float *p, const float *g, float *sq, float *gavg, float *buf, size_t i,
                            int flags, float wd, float alpha, float oma, float eps, float mom,
                            float neg_lr) {
    float gi = g[i];
    if (flags & CKPT_OPT_MAXIMIZE) gi = -gi;
    if (flags & CKPT_OPT_WEIGHT_DECAY) gi = fmaf(p[i], wd, gi);
    float s = fmaf(oma * gi, gi, sq[i] * alpha);                      // sq.mul_(a).addcmul_(g, g, 1-a)
    sq[i] = s;
    float avg;
    if (flags & CKPT_OPT_CENTERED) {
        float ga = lerp1(gavg[i], gi, oma);                            // grad_avg.lerp_(g, 1-a)
        gavg[i] = ga;
        avg = sqrtf(fmaf(-ga, ga, s));                                 // sq.addcmul(ga, ga, -1).sqrt_()
    } else {
        avg = sqrtf(s);
    }
    avg = avg + eps;
    if (flags & CKPT_OPT_MOMENTUM) {
        float b = buf[i] * mom + gi / avg;                             // buf.mul_(m).addcdiv_(g, avg)
        buf[i] = b;
        p[i] = fmaf(b, neg_lr, p[i]);                                  // p.add_(buf, alpha=-lr)
    } else {
        p[i] = p[i] + (neg_lr * gi) / avg;                             // p.addcdiv_(g, avg, -lr)
    }
}

#ifdef CKPT_X86
AVX2 static void rmsprop_avx2(float *p, const float *g, float *sq, float *gavg, float *buf, size_t n,
                              int flags, float wd, float alpha, float oma, float eps, float mom,
                              float neg_lr) {
    const int small = fabsf(oma) < 0.5f;
    const __m256 vw = _mm256_set1_ps(small ? oma : oma - 1.0f);
    const __m256 vwd = _mm256_set1_ps(wd), valpha = _mm256_set1_ps(alpha);
    const __m256 voma = _mm256_set1_ps(oma), veps = _mm256_set1_ps(eps);
    const __m256 vmom = _mm256_set1_ps(mom), vlr = _mm256_set1_ps(neg_lr);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i), pi = _mm256_loadu_ps(p + i);
        if (flags & CKPT_OPT_MAXIMIZE) gi = _mm256_xor_ps(gi, sign);
        if (flags & CKPT_OPT_WEIGHT_DECAY) gi = _mm256_fmadd_ps(pi, vwd, gi);
        __m256 s = _mm256_fmadd_ps(_mm256_mul_ps(voma, gi), gi,
                                   _mm256_mul_ps(_mm256_loadu_ps(sq + i), valpha));
        _mm256_storeu_ps(sq + i, s);
        __m256 avg;
        if (flags & CKPT_OPT_CENTERED) {
            __m256 ga = lerp8(_mm256_loadu_ps(gavg + i), gi, vw, small);
            _mm256_storeu_ps(gavg + i, ga);
            avg = _mm256_sqrt_ps(_mm256_fmadd_ps(_mm256_xor_ps(ga, sign), ga, s));
        } else {
            avg = _mm256_sqrt_ps(s);
        }
        avg = _mm256_add_ps(avg, veps);
        if (flags & CKPT_OPT_MOMENTUM) {
            __m256 b = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(buf + i), vmom),
                                     _mm256_div_ps(gi, avg));
            _mm256_storeu_ps(buf + i, b);
            _mm256_storeu_ps(p + i, _mm256_fmadd_ps(b, vlr, pi));
        } else {
            _mm256_storeu_ps(p + i, _mm256_add_ps(pi, _mm256_div_ps(_mm256_mul_ps(vlr, gi), avg)));
        }
    }
    for (; i < n; i++) rmsprop1(p, g, sq, gavg, buf, i, flags, wd, alpha, oma, eps, mom, neg_lr);
}
#endif

void ckpt_rmsprop_step(float *p, const float *g, float *sq, float *gavg, float *buf, size_t n,
                       int flags, float wd, float alpha, float oma, float eps, float mom,
                       float neg_lr) {
#ifdef CKPT_X86
    if (ckpt_cpu_fma_cached() && !(flags & CKPT_OPT_PORTABLE)) { rmsprop_avx2(p, g, sq, gavg, buf, n, flags, wd, alpha, oma, eps, mom, neg_lr); return; }
#endif
    for (size_t i = 0; i < n; i++)
        rmsprop1(p, g, sq, gavg, buf, i, flags, wd, alpha, oma, eps, mom, neg_lr);
}

/* ---------------------------------------------------------------- Adagrad */

ALWAYS_INLINE void adagrad1(float *p, const float *g, float *sum, size_t i, int flags, float wd,
                            float eps, float nclr) {
    float gi = g[i];
    if (flags & CKPT_OPT_MAXIMIZE) gi = -gi;
    if (flags & CKPT_OPT_WEIGHT_DECAY) gi = fmaf(p[i], wd, gi);
    float s = fmaf(gi, gi, sum[i]);                                    // sum.addcmul_(g, g, value=1)
    sum[i] = s;
    float std = sqrtf(s) + eps;
    p[i] = p[i] + (nclr * gi) / std;                                   // p.addcdiv_(g, std, -clr)
}

#ifdef CKPT_X86
AVX2 static void adagrad_avx2(float *p, const float *g, float *sum, size_t n, int flags, float wd,
                              float eps, float nclr) {
    const __m256 vwd = _mm256_set1_ps(wd), veps = _mm256_set1_ps(eps);
    const __m256 vlr = _mm256_set1_ps(nclr), sign = _mm256_set1_ps(-0.0f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i), pi = _mm256_loadu_ps(p + i);
        if (flags & CKPT_OPT_MAXIMIZE) gi = _mm256_xor_ps(gi, sign);
        if (flags & CKPT_OPT_WEIGHT_DECAY) gi = _mm256_fmadd_ps(pi, vwd, gi);
        __m256 s = _mm256_fmadd_ps(gi, gi, _mm256_loadu_ps(sum + i));
        _mm256_storeu_ps(sum + i, s);
        __m256 std = _mm256_add_ps(_mm256_sqrt_ps(s), veps);
        _mm256_storeu_ps(p + i, _mm256_add_ps(pi, _mm256_div_ps(_mm256_mul_ps(vlr, gi), std)));
    }
    for (; i < n; i++) adagrad1(p, g, sum, i, flags, wd, eps, nclr);
}
#endif

void ckpt_adagrad_step(float *p, const float *g, float *sum, size_t n, int flags, float wd,
                       float eps, float neg_clr) {
#ifdef CKPT_X86
    if (ckpt_cpu_fma_cached() && !(flags & CKPT_OPT_PORTABLE)) { adagrad_avx2(p, g, sum, n, flags, wd, eps, neg_clr); return; }
#endif
    for (size_t i = 0; i < n; i++) adagrad1(p, g, sum, i, flags, wd, eps, neg_clr);
}

/* ---------------------------------------------------------------- memory-bound references */

// The benchmark's bound: the same loads and stores as the optimizer steps with one multiply-add
// per array instead of their arithmetic, so nothing but memory limits them. Each array is
// written right after it is read (as the steps do): no write-allocate traffic beyond the reads.
#ifdef CKPT_X86
AVX2 static void bound_adam_avx2(float *p, const float *g, float *m, float *v, size_t n) {
    const __m256 c = _mm256_set1_ps(0.5f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i);
        __m256 mi = _mm256_fmadd_ps(_mm256_loadu_ps(m + i), c, gi);
        __m256 vi = _mm256_fmadd_ps(_mm256_loadu_ps(v + i), c, gi);
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        _mm256_storeu_ps(p + i, _mm256_fmadd_ps(_mm256_loadu_ps(p + i), c, _mm256_add_ps(mi, vi)));
    }
    for (; i < n; i++) { m[i] = m[i] * 0.5f + g[i]; v[i] = v[i] * 0.5f + g[i]; p[i] = p[i] * 0.5f + m[i] + v[i]; }
}

AVX2 static void bound_sgd_avx2(float *p, const float *g, float *buf, size_t n) {
    const __m256 c = _mm256_set1_ps(0.5f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 b = _mm256_fmadd_ps(_mm256_loadu_ps(buf + i), c, _mm256_loadu_ps(g + i));
        _mm256_storeu_ps(buf + i, b);
        _mm256_storeu_ps(p + i, _mm256_fmadd_ps(_mm256_loadu_ps(p + i), c, b));
    }
    for (; i < n; i++) { buf[i] = buf[i] * 0.5f + g[i]; p[i] = p[i] * 0.5f + buf[i]; }
}
#endif

void ckpt_bound_adam(float *p, const float *g, float *m, float *v, size_t n) {
#ifdef CKPT_X86
    if (ckpt_cpu_fma_cached()) { bound_adam_avx2(p, g, m, v, n); return; }
#endif
    for (size_t i = 0; i < n; i++) { m[i] = m[i] * 0.5f + g[i]; v[i] = v[i] * 0.5f + g[i]; p[i] = p[i] * 0.5f + m[i] + v[i]; }
}

void ckpt_bound_sgd(float *p, const float *g, float *buf, size_t n) {
#ifdef CKPT_X86
    if (ckpt_cpu_fma_cached()) { bound_sgd_avx2(p, g, buf, n); return; }
#endif
    for (size_t i = 0; i < n; i++) { buf[i] = buf[i] * 0.5f + g[i]; p[i] = p[i] * 0.5f + buf[i]; }
}
