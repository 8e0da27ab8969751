// Counting elements whose exponent bits are all ones (NaN or infinity) in raw little-endian
// floating-point bytes: `ckpt verify`'s scan of every chunk it hashes. Loops the compiler
// vectorises (32-bit lane counters, flushed every 64 Ki elements), no early exit.
#ifndef CKPT_NONFINITE_H
#define CKPT_NONFINITE_H
#include <stddef.h>
#include <stdint.h>

/// Elements among `n` float16 (`width` 2), float32 (4) or float64 (8) values at `data`
/// whose exponent is all ones; 0 for any other width.
size_t ckpt_count_nonfinite(const void *data, size_t n, int width);

#endif
