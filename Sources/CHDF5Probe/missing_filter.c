// Names the compression filter a dataset needs that this libhdf5 cannot run: HDF5 itself only
// says "can't open directory: .../hdf5/serial/plugins" when a plugin filter is missing.
#include "probe_internal.h"

#include <stdio.h>

// Filters other libraries register under ids HDF5 reserves for them (The HDF Group's list).
static const char *who(H5Z_filter_t id) {
    switch (id) {
    case 32000: return "h5py-only";
    case 32001: return "Blosc";
    case 32004: return "LZ4 plugin";
    case 32008: return "bitshuffle plugin";
    case 32015: return "Zstandard plugin";
    case 307: return "bzip2 plugin";
    default: return "a plugin";
    }
}

int ckpt_missing_filter(int64_t dataset, char *out, size_t size) {
    hid_t dcpl = H5Dget_create_plist((hid_t)dataset);
    if (dcpl < 0) return 0;
    int found = 0, n = H5Pget_nfilters(dcpl);
    for (int i = 0; i < n && !found; i++) {
        unsigned flags = 0, config = 0, values[8];
        size_t count = 8;
        char name[64] = {0};
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &count, values, sizeof name, name, &config);
        if (id < 0 || H5Zfilter_avail(id) > 0) continue;
        // The name comes from the file: keep printable ASCII only.
        char clean[64];
        size_t k = 0;
        for (size_t j = 0; name[j] && k + 1 < sizeof clean; j++) {
            if (name[j] >= 0x20 && name[j] < 0x7f) clean[k++] = name[j];
        }
        clean[k] = 0;
        snprintf(out, size, "filter %s (id %d, %s) is not available in libhdf5; re-save with gzip or no compression",
                 k ? clean : "without a name", (int)id, who(id));
        found = 1;
    }
    H5Pclose(dcpl);
    return found;
}
