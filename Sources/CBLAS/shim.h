#ifndef CKPT_CBLAS_SHIM_H
#define CKPT_CBLAS_SHIM_H
#include <cblas.h>
#endif
