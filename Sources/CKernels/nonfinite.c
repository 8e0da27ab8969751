// See ckpt_nonfinite.h. Native loads (little-endian hosts, as NonFiniteCount in CkptCore).
#include "ckpt_nonfinite.h"
#include <string.h>

#define BLOCK 65536

#define COUNT(type, mask)                                                     \
    do {                                                                      \
        const unsigned char *p = (const unsigned char *)data;                 \
        while (n > 0) {                                                       \
            size_t m = n < BLOCK ? n : BLOCK;                                 \
            uint32_t acc = 0;                                                 \
            for (size_t i = 0; i < m; i++) {                                  \
                type v;                                                       \
                memcpy(&v, p + i * sizeof(type), sizeof(type));               \
                acc += (uint32_t)((v & (type)(mask)) == (type)(mask));        \
            }                                                                 \
            total += acc;                                                     \
            p += m * sizeof(type);                                            \
            n -= m;                                                           \
        }                                                                     \
    } while (0)

size_t ckpt_count_nonfinite(const void *data, size_t n, int width) {
    size_t total = 0;
    switch (width) {
    case 2: COUNT(uint16_t, 0x7c00u); break;
    case 4: COUNT(uint32_t, 0x7f800000u); break;
    case 8: COUNT(uint64_t, 0x7ff0000000000000ull); break;
    default: break;
    }
    return total;
}
