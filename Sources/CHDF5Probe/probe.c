// The isolated probe of ckpt_h5_probe.h. The child mirrors the HDF5 calls of the Swift
// reader (Sources/HDF5, CkptFormat's StateReader and DataFile): same file access properties,
// same listing calls and index choice, same memory types for attribute and dataset reads. A
// file that crashes libhdf5 under those calls crashes it here first, in a process nobody needs.
#define _GNU_SOURCE
#include "ckpt_h5_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <malloc.h>
// The Swift layer's own type constructors (f16, numpy bool, strings): the probe reads with
// exactly the memory types the reader uses.
#include "../CHDF5/shim.h"
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static atomic_llong probe_count;

long long ckpt_h5_probe_count(void) { return atomic_load(&probe_count); }

// ---------------------------------------------------------------- the child's walk

typedef struct {
    const ckpt_probe_limits *limits;
    hsize_t file_size;
    long long visited;
    int errors;  // HDF5 refused something (the walk goes on past it)
    void *buffer;  // slice_bytes, for dataset reads
} walk;

// Set when libhdf5 reports that it could not allocate memory (the child's RLIMIT_DATA), or a
// buffer the reader would allocate could not be had: exit 4.
static int memory_exhausted;

static herr_t note_allocation_failure(unsigned n, const H5E_error2_t *e, void *data) {
    (void)n, (void)data;
    if (e && (e->min_num == H5E_CANTALLOC || e->min_num == H5E_NOSPACE)) memory_exhausted = 1;
    return 0;
}

static herr_t on_hdf5_error(hid_t stack, void *data) {
    (void)data;
    H5Ewalk2(stack, H5E_WALK_DOWNWARD, note_allocation_failure, NULL);
    return 0;
}

typedef struct {
    char **names;
    size_t count, capacity, limit;
} name_list;

static void names_free(name_list *l) {
    for (size_t i = 0; i < l->count; i++) free(l->names[i]);
    free(l->names);
    l->names = NULL;
    l->count = l->capacity = 0;
}

static herr_t collect_name(const char *name, name_list *l) {
    if (!name || strnlen(name, 1 << 16) >= (1 << 16)) return -1;
    if (l->count == l->capacity) {
        size_t cap = l->capacity ? l->capacity * 2 : 16;
        char **n = realloc(l->names, cap * sizeof *n);
        if (!n) return -1;
        l->names = n;
        l->capacity = cap;
    }
    if (!(l->names[l->count] = strdup(name))) return -1;
    l->count++;
    return l->count >= l->limit ? 1 : 0;
}

static herr_t attribute_name_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data) {
    (void)loc, (void)info;
    return collect_name(name, data);
}

static herr_t link_name_cb(hid_t loc, const char *name, const H5L_info_t *info, void *data) {
    (void)loc, (void)info;
    return collect_name(name, data);
}

// HDF5StoredType.classify: what the reader would read a stored type as.
typedef enum { K_ELEMENT, K_VSTRING, K_FSTRING, K_OTHER } kind;

// The memory type the reader uses for a stored type (caller closes), or -1 for K_OTHER.
static hid_t memory_type(hid_t ftype, kind *k, size_t *size) {
    H5T_class_t cls = H5Tget_class(ftype);
    size_t sz = H5Tget_size(ftype);
    *size = sz;
    *k = K_OTHER;
    switch (cls) {
    case H5T_FLOAT: {
        size_t spos, epos, esize, mpos, msize;
        if (H5Tget_fields(ftype, &spos, &epos, &esize, &mpos, &msize) < 0) return -1;
        *k = K_ELEMENT;
        if (sz == 2 && esize == 5 && msize == 10) return ckpt_make_f16_type();
        if (sz == 4 && esize == 8 && msize == 23) return H5Tcopy(H5T_IEEE_F32LE);
        if (sz == 8 && esize == 11 && msize == 52) return H5Tcopy(H5T_IEEE_F64LE);
        *k = K_OTHER;
        return -1;
    }
    case H5T_INTEGER: {
        int is_signed = H5Tget_sign(ftype) == H5T_SGN_2;
        *k = K_ELEMENT;
        switch (sz) {
        case 1: return H5Tcopy(is_signed ? H5T_STD_I8LE : H5T_STD_U8LE);
        case 2: return H5Tcopy(is_signed ? H5T_NATIVE_INT16 : H5T_NATIVE_UINT16);
        case 4: return H5Tcopy(is_signed ? H5T_STD_I32LE : H5T_NATIVE_UINT32);
        case 8: return H5Tcopy(is_signed ? H5T_STD_I64LE : H5T_NATIVE_UINT64);
        default: *k = K_OTHER; return -1;
        }
    }
    case H5T_ENUM: {
        // numpy's bool: FALSE = 0, TRUE = 1 over one byte.
        if (sz != 1 || H5Tget_nmembers(ftype) != 2) return -1;
        int false_ok = 0, true_ok = 0;
        for (unsigned i = 0; i < 2; i++) {
            char *name = H5Tget_member_name(ftype, i);
            if (!name) return -1;
            signed char v = 0;
            herr_t r = H5Tget_member_value(ftype, i, &v);
            if (r >= 0 && strcmp(name, "FALSE") == 0 && v == 0) false_ok = 1;
            if (r >= 0 && strcmp(name, "TRUE") == 0 && v == 1) true_ok = 1;
            H5free_memory(name);
        }
        if (!false_ok || !true_ok) return -1;
        *k = K_ELEMENT;
        return ckpt_make_bool_type();
    }
    case H5T_STRING: {
        htri_t v = H5Tis_variable_str(ftype);
        if (v < 0 || (v == 0 && sz == 0)) return -1;
        *k = v > 0 ? K_VSTRING : K_FSTRING;
        if (v > 0) *size = sizeof(char *);
        return v > 0 ? ckpt_make_vlen_utf8_type() : ckpt_make_fixed_string_type(sz);
    }
    default:
        return -1;
    }
}

// dataspaceShape + checkedCount: element count of a simple or scalar space; -1 for a null
// space or anything the reader refuses.
static long long element_count(hid_t space, int *rank, hsize_t dims[32]) {
    H5S_class_t cls = H5Sget_simple_extent_type(space);
    if (cls == H5S_SCALAR) { *rank = 0; return 1; }
    if (cls != H5S_SIMPLE) return -1;
    int r = H5Sget_simple_extent_ndims(space);
    if (r < 0 || r > 32) return -1;
    *rank = r;
    if (r > 0 && H5Sget_simple_extent_dims(space, dims, NULL) < 0) return -1;
    unsigned long long n = 1;
    for (int i = 0; i < r; i++) {
        if (dims[i] > (hsize_t)INT64_MAX) return -1;
        if (dims[i] && n > (1ULL << 62) / dims[i]) return -1;
        n *= dims[i];
    }
    return (long long)n;
}

static void read_attribute(walk *w, hid_t obj, const char *name) {
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (attr < 0) { w->errors++; return; }
    hid_t space = H5Aget_space(attr), ftype = H5Aget_type(attr), mtype = -1;
    int rank;
    hsize_t dims[32];
    long long n;
    kind k;
    size_t size;
    if (space < 0 || ftype < 0) { w->errors++; goto done; }
    if (H5Sget_simple_extent_type(space) == H5S_NULL) goto done;
    n = element_count(space, &rank, dims);
    if (n < 0) { w->errors++; goto done; }
    mtype = memory_type(ftype, &k, &size);
    if (mtype < 0) { w->errors++; goto done; }  // the reader refuses the type
    if (n == 0 || size == 0) goto done;
    if ((unsigned long long)n > SIZE_MAX / size) { w->errors++; goto done; }
    void *buf = calloc((size_t)n, size);
    if (!buf) { w->errors++; memory_exhausted = 1; goto done; }
    if (H5Aread(attr, mtype, buf) < 0) {
        w->errors++;
    } else if (k == K_VSTRING) {
        char **s = buf;
        volatile size_t total = 0;
        for (long long i = 0; i < n; i++) if (s[i]) total += strlen(s[i]);
        H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, buf);
    }
    free(buf);
done:
    if (mtype >= 0) H5Tclose(mtype);
    if (ftype >= 0) H5Tclose(ftype);
    if (space >= 0) H5Sclose(space);
    H5Aclose(attr);
}

static int tracks_order(hid_t plist, int links) {
    if (plist < 0) return 0;
    unsigned flags = 0;
    herr_t r = links ? H5Pget_link_creation_order(plist, &flags) : H5Pget_attr_creation_order(plist, &flags);
    H5Pclose(plist);
    return r >= 0 && (flags & H5P_CRT_ORDER_TRACKED);
}

static int over_budget(walk *w, long long n) {
    w->visited += n;
    return w->visited > w->limits->max_objects;
}

// HDF5Object.attributeNames + readAttribute for each, + hasAttribute("checksum").
static void visit_attributes(walk *w, hid_t obj, hid_t cpl) {
    H5O_info_t info;
    if (H5Oget_info2(obj, &info, H5O_INFO_NUM_ATTRS) < 0) { w->errors++; if (cpl >= 0) H5Pclose(cpl); return; }
    int ordered = tracks_order(cpl, 0);
    if (info.num_attrs == 0) return;
    if (info.num_attrs > 1000000 || over_budget(w, (long long)info.num_attrs)) { w->errors++; return; }
    name_list names = {0};
    names.limit = info.num_attrs;
    hsize_t idx = 0;
    if (H5Aiterate2(obj, ordered ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME, H5_ITER_INC, &idx, attribute_name_cb, &names) < 0)
        w->errors++;
    (void)H5Aexists(obj, "checksum");
    for (size_t i = 0; i < names.count; i++) read_attribute(w, obj, names.names[i]);
    names_free(&names);
}

// Reads the block `count` (rank dimensions, `n` elements) of `mtype` from `dset` through
// `fspace`'s current selection into the slice buffer (variable-length strings reclaimed
// afterwards). The memory space has the block's own shape: with any other shape, libhdf5
// maps chunked data to memory element by element (100x slower).
static void read_selection(walk *w, hid_t dset, hid_t mtype, hid_t fspace, int rank, const hsize_t *count,
                           hsize_t n, kind k) {
    hid_t mspace = rank > 0 ? H5Screate_simple(rank, count, NULL) : H5Screate(H5S_SCALAR);
    if (mspace < 0) { w->errors++; return; }
    if (H5Dread(dset, mtype, mspace, fspace, H5P_DEFAULT, w->buffer) < 0) {
        w->errors++;
    } else if (k == K_VSTRING) {
        char **s = w->buffer;
        volatile size_t total = 0;
        for (hsize_t i = 0; i < n; i++) if (s[i]) total += strlen(s[i]);
        H5Dvlen_reclaim(mtype, mspace, H5P_DEFAULT, w->buffer);
    }
    H5Sclose(mspace);
}

// Every element of the dataset, in hyperslabs of at most slice_bytes: the suffix of dimensions
// that fits in one slice is read whole, as many indices of the dimension before it as fit, and
// the leading dimensions one index at a time.
static void read_data(walk *w, hid_t dset, hid_t mtype, hid_t fspace, int rank, const hsize_t *dims,
                      size_t esize, kind k) {
    size_t cap = w->limits->slice_bytes / esize;
    if (cap == 0) return;
    if (rank == 0) {
        read_selection(w, dset, mtype, H5S_ALL, 0, NULL, 1, k);
        return;
    }
    int j = rank;  // dims[j...] fit in one slice
    hsize_t unit = 1;
    while (j > 0 && dims[j - 1] <= cap / unit) unit *= dims[--j];
    hsize_t start[32] = {0}, count[32];
    for (int i = 0; i < rank; i++) count[i] = i >= j ? dims[i] : 1;
    int step_dim = j > 0 ? j - 1 : -1;
    hsize_t step = 1;
    if (step_dim >= 0 && unit > 0) step = cap / unit > 0 ? cap / unit : 1;
    if (step_dim < 0) {  // the whole dataset fits
        read_selection(w, dset, mtype, H5S_ALL, rank, dims, unit, k);
        return;
    }
    if (unit == 0) return;
    for (;;) {
        count[step_dim] = dims[step_dim] - start[step_dim] < step ? dims[step_dim] - start[step_dim] : step;
        if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0) { w->errors++; return; }
        read_selection(w, dset, mtype, fspace, rank, count, count[step_dim] * unit, k);
        // Advance like an odometer over dims[0 ... step_dim].
        int d = step_dim;
        start[d] += count[d];
        while (d > 0 && start[d] >= dims[d]) {
            start[d] = 0;
            start[--d] += 1;
        }
        if (start[0] >= dims[0]) return;
    }
}

static void visit_dataset(walk *w, hid_t dset) {
    visit_attributes(w, dset, H5Dget_create_plist(dset));
    hid_t space = H5Dget_space(dset), ftype = H5Dget_type(dset), dcpl = H5Dget_create_plist(dset), mtype = -1;
    int rank = 0;
    hsize_t dims[32];
    long long n;
    kind k;
    size_t size;
    if (space < 0 || ftype < 0 || dcpl < 0) { w->errors++; goto done; }
    H5D_layout_t layout = H5Pget_layout(dcpl);
    int filters = H5Pget_nfilters(dcpl);
    (void)H5Dget_offset(dset);
    (void)H5Dget_storage_size(dset);
    if (H5Sget_simple_extent_type(space) == H5S_NULL) goto done;
    n = element_count(space, &rank, dims);
    if (n < 0) { w->errors++; goto done; }
    mtype = memory_type(ftype, &k, &size);
    if (mtype < 0 || n == 0 || size == 0) goto done;
    // HDF5Dataset.checkPlausible: the reader allocates nothing the file cannot back.
    size_t stored = k == K_VSTRING ? 1 : size;  // readStrings checks count bytes for these
    unsigned long long factor = layout == H5D_CHUNKED && filters > 0 ? 1024 : 1;
    if (layout == H5D_VIRTUAL) { w->errors++; goto done; }
    if ((unsigned long long)n > (w->file_size * factor) / stored + 1) { w->errors++; goto done; }
    read_data(w, dset, mtype, space, rank, dims, size, k);
done:
    if (mtype >= 0) H5Tclose(mtype);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (ftype >= 0) H5Tclose(ftype);
    if (space >= 0) H5Sclose(space);
}

static void visit_group(walk *w, hid_t group, int depth);

// HDF5Group.childKind + openGroup / openDataset (hard links only; soft and external links are
// read, never followed).
static void visit_link(walk *w, hid_t group, const char *name, int depth) {
    if (H5Lexists(group, name, H5P_DEFAULT) <= 0) { w->errors++; return; }
    H5L_info_t li;
    if (H5Lget_info(group, name, &li, H5P_DEFAULT) < 0) { w->errors++; return; }
    if (li.type == H5L_TYPE_SOFT || li.type == H5L_TYPE_EXTERNAL) {
        char buf[4096];
        if (li.u.val_size <= sizeof buf && H5Lget_val(group, name, buf, sizeof buf, H5P_DEFAULT) >= 0 &&
            li.type == H5L_TYPE_EXTERNAL) {
            const char *file = NULL, *path = NULL;
            unsigned flags = 0;
            (void)H5Lunpack_elink_val(buf, li.u.val_size, &flags, &file, &path);
        }
        return;
    }
    if (li.type != H5L_TYPE_HARD) return;
    H5O_info_t oi;
    if (H5Oget_info_by_name2(group, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0) { w->errors++; return; }
    if (oi.type == H5O_TYPE_GROUP) {
        if (depth + 1 >= w->limits->max_depth) { w->errors++; return; }
        hid_t g = H5Gopen2(group, name, H5P_DEFAULT);
        if (g < 0) { w->errors++; return; }
        visit_group(w, g, depth + 1);
        H5Gclose(g);
    } else if (oi.type == H5O_TYPE_DATASET) {
        hid_t d = H5Dopen2(group, name, H5P_DEFAULT);
        if (d < 0) { w->errors++; return; }
        visit_dataset(w, d);
        H5Dclose(d);
    }
}

static void visit_group(walk *w, hid_t group, int depth) {
    visit_attributes(w, group, H5Gget_create_plist(group));
    H5G_info_t gi;
    if (H5Gget_info(group, &gi) < 0) { w->errors++; return; }
    if (gi.nlinks == 0) return;
    if (gi.nlinks > 1000000 || over_budget(w, (long long)gi.nlinks)) { w->errors++; return; }
    int ordered = tracks_order(H5Gget_create_plist(group), 1);
    name_list names = {0};
    names.limit = gi.nlinks;
    hsize_t idx = 0;
    if (H5Literate(group, ordered ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME, H5_ITER_INC, &idx, link_name_cb, &names) < 0)
        w->errors++;
    for (size_t i = 0; i < names.count && w->visited <= w->limits->max_objects; i++)
        visit_link(w, group, names.names[i], depth);
    names_free(&names);
}

static uint64_t le64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

// Objects of the file's global heap collections, as (collection offset << 16 | index), sorted:
// what a variable-length string may refer to (below).
static uint64_t *heap_objects;
static size_t heap_object_count, heap_object_capacity;
static uint64_t superblock_offset;

static void note_heap_object(uint64_t collection, unsigned idx) {
    if (heap_object_count == heap_object_capacity) {
        size_t cap = heap_object_capacity ? heap_object_capacity * 2 : 256;
        uint64_t *n = realloc(heap_objects, cap * sizeof *n);
        if (!n) return;
        heap_objects = n;
        heap_object_capacity = cap;
    }
    heap_objects[heap_object_count++] = collection << 16 | idx;
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int heap_object_exists(uint64_t collection, uint64_t idx) {
    if (idx > 0xFFFF || collection >> 47) return 0;
    uint64_t key = collection << 16 | idx;
    return bsearch(&key, heap_objects, heap_object_count, sizeof key, compare_u64) != NULL;
}

static int is_collection(uint64_t collection) {
    if (collection >> 47) return 0;
    uint64_t key = collection << 16;  // every collection holds its free-space object 0 or more
    size_t lo = 0, hi = heap_object_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (heap_objects[mid] < key) lo = mid + 1; else hi = mid;
    }
    return lo < heap_object_count && heap_objects[lo] >> 16 == collection;
}

// Every global heap collection in the file ("GCOL", version 1, 3 zero bytes, 8-byte size; a
// sequence of objects: 2-byte index, 2-byte reference count, 4 reserved bytes, 8-byte size,
// data padded to 8; index 0 is the free space, whose size counts its header) must hold its
// objects inside itself. Found by signature, wherever it lies (8 exact bytes: data that merely
// resembles one and is inconsistent is practically impossible). 1 when one is inconsistent.
static int corrupt_global_heap(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 0;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < 16) { close(fd); return 0; }
    size_t n = (size_t)st.st_size;
    const unsigned char *map = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return 0;
    static const unsigned char sig[8] = {'G', 'C', 'O', 'L', 1, 0, 0, 0};
    int bad = 0;
    for (const unsigned char *at = map; !bad && (at = memmem(at, n - (size_t)(at - map), sig, 8)) != NULL; at += 8) {
        size_t off = (size_t)(at - map);
        if (n - off < 16) break;
        uint64_t size = le64(at + 8);
        if (size < 16 || size > n - off) continue;  // not a collection libhdf5 could load whole
        const unsigned char *end = at + size, *p = at + 16;
        note_heap_object(off, 0);
        while (p + 16 <= end) {
            unsigned idx = (unsigned)p[0] | (unsigned)p[1] << 8;
            uint64_t osize = le64(p + 8);
            uint64_t need = idx == 0 ? osize : 16 + ((osize + 7) & ~(uint64_t)7);
            if (osize > size || need == 0 || need > (uint64_t)(end - p)) { bad = 1; break; }
            if (idx) note_heap_object(off, idx);
            p += need;
        }
    }
    static const unsigned char hdf5_sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    for (size_t o = 0; o + 8 <= n; o = o ? o * 2 : 512)
        if (memcmp(map + o, hdf5_sig, 8) == 0) { superblock_offset = o; break; }
    munmap((void *)map, n);
    if (heap_objects) qsort(heap_objects, heap_object_count, sizeof *heap_objects, compare_u64);
    return bad;
}

// libhdf5 1.10 looks a variable-length string's heap object up by index without checking
// that the index exists: one past the collection's object table reads whatever memory lies
// beyond, which crashes or not depending on the process (a fuzzed file survived the walk and
// then crashed the caller's parse). This conversion sees each string's stored reference
// (4-byte length, 8-byte collection address, 4-byte index) before libhdf5's own conversion
// (H5T__conv_vlen, found with H5Tfind) uses it, and ends the child (exit 3) on a reference to
// a collection found by the heap check but an object it does not hold.
static H5T_conv_t vlen_conversion;

static herr_t checked_vlen_conversion(hid_t src, hid_t dst, H5T_cdata_t *cdata, size_t nelmts, size_t buf_stride,
                                      size_t bkg_stride, void *buf, void *bkg, hid_t dxpl) {
    if (cdata->command == H5T_CONV_CONV && buf && H5Tget_class(src) == H5T_STRING && H5Tget_size(src) == 16) {
        size_t stride = buf_stride ? buf_stride : 16;  // in-memory strings are 8 bytes: these are stored ones
        for (size_t i = 0; i < nelmts; i++) {
            const unsigned char *p = (const unsigned char *)buf + i * stride;
            uint64_t addr = le64(p + 4);
            uint64_t idx = (uint64_t)p[12] | (uint64_t)p[13] << 8 | (uint64_t)p[14] << 16 | (uint64_t)p[15] << 24;
            if (addr == 0) continue;  // an empty string
            for (int base = 0; base < 2; base++) {
                uint64_t at = base ? addr + superblock_offset : addr;
                if ((base && superblock_offset == 0) || !is_collection(at)) continue;
                if (idx == 0 || !heap_object_exists(at, idx)) _exit(3);
            }
        }
    }
    return vlen_conversion(src, dst, cdata, nelmts, buf_stride, bkg_stride, buf, bkg, dxpl);
}

// libhdf5 keeps variable-length strings as a kind of its VLEN class internally, and one soft
// conversion serves every VLEN pair: found through two VLEN sequence types, and replaced for
// all VLEN pairs (existing paths included) by registering over the same classes.
static void check_vlen_references(void) {
    hid_t a = H5Tvlen_create(H5T_NATIVE_INT), b = H5Tvlen_create(H5T_NATIVE_LLONG);
    H5T_cdata_t *cdata = NULL;
    if (a >= 0 && b >= 0 && (vlen_conversion = H5Tfind(a, b, &cdata)) != NULL)
        H5Tregister(H5T_PERS_SOFT, "ckpt-checked-vlen", a, b, checked_vlen_conversion);
    if (a >= 0) H5Tclose(a);
    if (b >= 0) H5Tclose(b);
}

// The child's whole life: exit 0 (clean), 1 (HDF5 refused something), 3 (corrupt global
// heap), 4 (memory limit); a crash is a signal.
static void child_walk(const char *path, const ckpt_probe_limits *limits) {
    if (limits->check_global_heaps && corrupt_global_heap(path)) _exit(3);
    walk w = {.limits = limits};
    w.buffer = malloc(limits->slice_bytes ? limits->slice_bytes : 1);
    if (!w.buffer) _exit(4);
    H5Eset_auto2(H5E_DEFAULT, on_hdf5_error, NULL);  // prints nothing; notes allocation failures
    if (limits->check_global_heaps) check_vlen_references();
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V110) < 0 ||
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0)
        _exit(1);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (file < 0) _exit(memory_exhausted ? 4 : 1);
    if (H5Fget_filesize(file, &w.file_size) < 0) w.errors++;
    hid_t root = H5Gopen2(file, "/", H5P_DEFAULT);
    if (root < 0) {
        w.errors++;
    } else {
        visit_group(&w, root, 0);
        H5Gclose(root);
    }
    // Closing frees what the walk allocated: glibc checks those chunks as they go back, so
    // heap damage that did not crash the walk still ends the child (SIGABRT) rather than the
    // caller's later in-process parse.
    if (H5Fclose(file) < 0) w.errors++;
    H5garbage_collect();
    free(w.buffer);
    malloc_trim(0);  // consolidates free chunks, checking their headers on the way
    _exit(memory_exhausted ? 4 : w.errors ? 1 : 0);
}

// ---------------------------------------------------------------- the parent

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// RLIMIT_DATA for the child: what it inherited (/proc/self/statm's data pages) plus `extra`.
static void limit_data(long long extra) {
    if (extra <= 0) return;
    int fd = open("/proc/self/statm", O_RDONLY);
    if (fd < 0) return;
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return;
    buf[n] = 0;
    // size resident shared text lib data dt: the sixth field.
    char *p = buf;
    for (int field = 0; field < 5; field++) {
        while (*p && *p != ' ') p++;
        while (*p == ' ') p++;
    }
    unsigned long long pages = strtoull(p, NULL, 10);
    if (pages == 0) return;
    struct rlimit r;
    if (getrlimit(RLIMIT_DATA, &r) != 0) return;
    rlim_t want = (rlim_t)(pages * (unsigned long long)sysconf(_SC_PAGESIZE) + (unsigned long long)extra);
    if (r.rlim_max != RLIM_INFINITY && r.rlim_max < want) return;
    r.rlim_cur = want;
    setrlimit(RLIMIT_DATA, &r);
}

static void child_setup(const ckpt_probe_limits *limits) {
    // Crash handlers of the host (libFuzzer, test runners, the Swift runtime's backtracer)
    // must not run here: the child dies of the signal and the parent reports it.
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS, SIGXCPU, SIGXFSZ};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) signal(fatal[i], SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0), dup2(null, 1), dup2(null, 2);
        if (null > 2) close(null);
    }
    struct rlimit core = {0, 0};
    setrlimit(RLIMIT_CORE, &core);
    if (limits->cpu_seconds > 0) {
        struct rlimit cpu;
        if (getrlimit(RLIMIT_CPU, &cpu) == 0 && (cpu.rlim_max == RLIM_INFINITY || cpu.rlim_max >= (rlim_t)limits->cpu_seconds)) {
            cpu.rlim_cur = (rlim_t)limits->cpu_seconds;
            setrlimit(RLIMIT_CPU, &cpu);
        }
    }
    limit_data(limits->extra_data_bytes);
}

typedef struct {
    const char *path;
    const ckpt_probe_limits *limits;
    pid_t pid;
    int fork_errno;
    int forked;
} fork_request;

// Runs inside H5Piterate, i.e. with libhdf5's global lock held by this thread: no other
// thread is inside the library at the moment of the fork, so the child's copy of it is
// consistent (the library registers no fork handlers of its own).
static herr_t fork_under_lock(hid_t id, const char *name, void *data) {
    (void)id, (void)name;
    fork_request *req = data;
    if (req->forked) return 1;
    req->forked = 1;
    pid_t pid = fork();
    if (pid == 0) {
        child_setup(req->limits);
        child_walk(req->path, req->limits);
        _exit(1);  // not reached
    }
    req->pid = pid;
    req->fork_errno = pid < 0 ? errno : 0;
    return 1;
}

int ckpt_h5_probe(const char *path, const ckpt_probe_limits *limits, ckpt_probe_result *out) {
    memset(out, 0, sizeof *out);
    double t0 = now_seconds();
    atomic_fetch_add(&probe_count, 1);
    fork_request req = {.path = path, .limits = limits, .pid = -1};
    hid_t plist = H5Pcreate(H5P_FILE_ACCESS);
    if (plist >= 0) {
        int idx = 0;
        H5Piterate(plist, &idx, fork_under_lock, &req);
        H5Pclose(plist);
    }
    if (!req.forked || req.pid < 0) {
        out->status = CKPT_PROBE_UNAVAILABLE;
        out->error = req.forked ? req.fork_errno : ENOSYS;
        out->seconds = now_seconds() - t0;
        return out->status;
    }
    double deadline = t0 + limits->wall_seconds;
    useconds_t pause = 100;  // doubling to 20 ms: a small file returns within a millisecond
    int status = 0;
    for (;;) {
        pid_t r = waitpid(req.pid, &status, WNOHANG);
        if (r == req.pid) break;
        if (r < 0 && errno != EINTR) {
            out->status = CKPT_PROBE_UNAVAILABLE;
            out->error = errno;
            kill(req.pid, SIGKILL);
            out->seconds = now_seconds() - t0;
            return out->status;
        }
        if (now_seconds() > deadline) {
            kill(req.pid, SIGKILL);
            while (waitpid(req.pid, &status, 0) < 0 && errno == EINTR) {}
            out->status = CKPT_PROBE_TIMED_OUT;
            out->seconds = now_seconds() - t0;
            return out->status;
        }
        usleep(pause);
        if (pause < 20000) pause *= 2;
    }
    out->seconds = now_seconds() - t0;
    if (WIFEXITED(status)) {
        int code = WEXITSTATUS(status);
        out->status = code == 0 ? CKPT_PROBE_OK
                    : code == 3 ? CKPT_PROBE_CORRUPT_HEAP
                    : code == 4 ? CKPT_PROBE_MEMORY_LIMIT : CKPT_PROBE_REFUSED;
    } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU) {
        out->status = CKPT_PROBE_CPU_LIMIT;
    } else {
        out->status = CKPT_PROBE_CRASHED;
        out->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    return out->status;
}
