#include "CKernels.h"

int ckpt_cpu_has_fma(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx2");
#else
    return 1; /* aarch64 always has fused multiply-add */
#endif
}
