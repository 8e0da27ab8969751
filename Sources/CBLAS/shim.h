#ifndef CKPT_CBLAS_SHIM_H
#define CKPT_CBLAS_SHIM_H
#include <cblas.h>
// OpenBLAS (pthread build): joins its worker threads. Not in cblas.h, but exported; ckpt runs
// OpenBLAS on one thread, so the worker its constructor started only spins (sched_yield) for
// its first ~0.1 s and then sleeps, taking a core from whatever the process does at start.
int blas_thread_shutdown_(void);
#endif
