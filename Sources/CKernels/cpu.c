#include "CKernels.h"

int ckpt_cpu_has_fma(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx2");
#else
    return 1; /* aarch64 always has fused multiply-add */
#endif
}

#include "kernel_target.h"

int ckpt_cpu_fma_cached(void) {
    static int cached = -1;
    if (cached < 0) cached = ckpt_cpu_has_fma();
    return cached;
}
