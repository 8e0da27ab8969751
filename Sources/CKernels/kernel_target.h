// What the kernel files share (private to CKernels): the x86 target attribute of their
// AVX2+FMA loops, and one cached answer to "does this CPU have FMA and AVX2?" (cpu.c).
#ifndef CKPT_KERNEL_TARGET_H
#define CKPT_KERNEL_TARGET_H

#if defined(__x86_64__) || defined(__i386__)
#define CKPT_X86 1
#define FMA_TARGET __attribute__((target("avx2,fma")))
#endif

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/// ckpt_cpu_has_fma(), asked once per process.
int ckpt_cpu_fma_cached(void);

#endif
