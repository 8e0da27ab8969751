// Element-wise kernels that must match PyTorch's CPU arithmetic bit for bit.
// Each has an AVX2+FMA path chosen at run time and a portable path that calls fmaf().
#ifndef CKPT_CKERNELS_H
#define CKPT_CKERNELS_H
#include <stddef.h>
#include <stdint.h>
#include "ckpt_hash.h"
#include "ckpt_crc32.h"

/// 1 when the CPU executes fused multiply-add in hardware.
int ckpt_cpu_has_fma(void);

#include "optim_kernels.h"
#include "optim_kernels_more.h"
#include "averaging_kernels.h"
#include "adafactor_kernels.h"
#include "matmul_kernels.h"
#include "muon_kernels.h"
#include "CKernelsConv.h"
#include "CKernelsActivations.h"
#include "CKernelsConvDirect.h"
#include "CKernelsPool.h"

#endif
