// The probe's child: reads an untrusted HDF5 file exactly as the Swift reader would (same
// access properties, listing order, memory types, plausibility rule) and writes what it read
// into a fresh file that libhdf5 lays out itself. The caller parses only that copy, so no
// metadata from the untrusted file is ever decoded in the caller's process.
//
// Every value the reader can read is stored in the copy in the memory type the reader reads it
// with (so the caller's read converts nothing and gets the bytes the child got); objects of
// types the reader refuses keep their type and hold no data. Whatever the child could not read
// becomes a finding, keyed by where the reader would meet it, and a placeholder keeps the
// copy's listings equal to the original's:
//   'F' /  the file cannot be opened (exit CHILD_REFUSED; no copy)
//   'A' object path      listing its attributes failed
//   'a' object path+name reading that attribute failed (an empty attribute stands in)
//   'L' group path       listing its links failed, or the walk stopped there (depth, budget)
//   'k' link path        the link or its object could not be inspected (a dangling soft link
//                        stands in)
//   'P' dataset path     the reader would refuse to read its data (plausibility rule)
//   'D' dataset path     reading its data failed
//   'W' /                writing the copy failed (exit CHILD_COPY_FAILED)
// A finding is five NUL-terminated fields: scope letter, path, attribute name (or ""),
// operation, HDF5's innermost error text (or the reader's own reason).
#define _GNU_SOURCE
#include "probe_internal.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
// The Swift layer's own type constructors (f16, numpy bool, strings) and error text.
#include "../CHDF5/shim.h"

// Findings are capped: past this the file is refused whole (a finding that could not be kept
// would let the reader meet an incomplete copy silently).
#define FINDINGS_CAP (1 << 20)
#define MAX_LINKS 1000000

typedef struct {
    const ckpt_probe_limits *limits;
    hsize_t file_size;
    long long visited;
    void *buffer;  // slice_bytes, for dataset reads
    char *findings;
    size_t findings_size;
    int findings_fd;
    char *original;                      // absolute path of the file read, for external storage
    unsigned long long original_size;    // its size on disk, or less: the end of the space
                                         // HDF5 allocated (a read past it fails in HDF5)
} rebuild;

// Set when libhdf5 reports that it could not allocate memory (the child's RLIMIT_DATA).
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

// ---------------------------------------------------------------- findings

static void flush_findings(rebuild *r) {
    size_t done = 0;
    while (done < r->findings_size) {
        ssize_t n = write(r->findings_fd, r->findings + done, r->findings_size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += (size_t)n;
    }
}

static void __attribute__((noreturn)) finish(rebuild *r, int status) {
    flush_findings(r);
    _exit(status);
}

static void add_field(rebuild *r, const char *s) {
    size_t n = strlen(s) + 1;
    if (r->findings_size + n > FINDINGS_CAP) return;
    char *grown = realloc(r->findings, r->findings_size + n);
    if (!grown) return;
    r->findings = grown;
    memcpy(r->findings + r->findings_size, s, n);
    r->findings_size += n;
}

// Records a finding; `reason` NULL takes HDF5's innermost error text.
static void note(rebuild *r, char scope, const char *path, const char *name, const char *op, const char *reason) {
    char hdf5[512];
    if (!reason) {
        ckpt_last_error(hdf5, sizeof hdf5);
        reason = hdf5;
    }
    if (r->findings_size > FINDINGS_CAP - 8192) {  // no room left to say where: refuse the file
        r->findings_size = 0;
        char s[2] = {'F', 0};
        add_field(r, s), add_field(r, "/"), add_field(r, ""), add_field(r, "open file");
        add_field(r, "too many unreadable objects");
        finish(r, CHILD_REFUSED);
    }
    char s[2] = {scope, 0};
    add_field(r, s), add_field(r, path), add_field(r, name ? name : ""), add_field(r, op), add_field(r, reason);
}

static void notef(rebuild *r, char scope, const char *path, const char *name, const char *op, const char *fmt, ...) {
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    note(r, scope, path, name, op, reason);
}

// Writing the copy failed: not the file's fault (a full TMPDIR), so the caller says so.
static void __attribute__((noreturn)) copy_failed(rebuild *r, const char *op) {
    r->findings_size = 0;
    char reason[512];
    ckpt_last_error(reason, sizeof reason);
    note(r, 'W', "/", "", op, reason);
    finish(r, memory_exhausted ? CHILD_OUT_OF_MEMORY : CHILD_COPY_FAILED);
}

// ---------------------------------------------------------------- names and types

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

static char *child_path(const char *parent, const char *name) {
    size_t a = strlen(parent), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, parent, a);
    size_t at = a;
    if (!(a == 1 && parent[0] == '/')) p[at++] = '/';
    memcpy(p + at, name, b + 1);
    return p;
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

// A fresh dataspace of the same extent (maximum dimensions dropped: the copy is contiguous).
static hid_t fresh_space(H5S_class_t cls, int rank, const hsize_t *dims) {
    if (cls == H5S_NULL) return H5Screate(H5S_NULL);
    if (rank == 0) return H5Screate(H5S_SCALAR);
    return H5Screate_simple(rank, dims, NULL);
}

// H5P_CRT_ORDER_TRACKED | INDEXED when the object's creation properties track link (or
// attribute) creation order, else 0: the copy lists in the order the original lists.
static unsigned order_flags(hid_t cpl, int links) {
    if (cpl < 0) return 0;
    unsigned flags = 0;
    herr_t r = links ? H5Pget_link_creation_order(cpl, &flags) : H5Pget_attr_creation_order(cpl, &flags);
    return r >= 0 && (flags & H5P_CRT_ORDER_TRACKED) ? H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED : 0;
}

// The reader's limits on one listing of `n` names (HDF5File.maxObjectsPerGroup, and the walk's
// object budget); 0 with a finding when the listing is refused.
static int admit_listing(rebuild *r, char scope, const char *path, const char *op, unsigned long long n, const char *noun) {
    if (n > MAX_LINKS) {
        notef(r, scope, path, "", op, "%llu %s (limit %d)", n, noun, MAX_LINKS);
        return 0;
    }
    r->visited += (long long)n;
    if (r->visited > r->limits->max_objects) {
        notef(r, scope, path, "", op, "more than %lld objects", r->limits->max_objects);
        return 0;
    }
    return 1;
}

static hid_t utf8_list(hid_t cls) {
    hid_t p = H5Pcreate(cls);
    if (p >= 0) H5Pset_char_encoding(p, H5T_CSET_UTF8);
    return p;
}

// ---------------------------------------------------------------- attributes

// An empty attribute that keeps the name listed; its finding is what the reader meets.
static void placeholder_attribute(hid_t dst, const char *name) {
    hid_t space = H5Screate(H5S_NULL), acpl = utf8_list(H5P_ATTRIBUTE_CREATE);
    hid_t a = H5Acreate2(dst, name, H5T_STD_I8LE, space, acpl, H5P_DEFAULT);
    if (a >= 0) H5Aclose(a);
    H5Pclose(acpl);
    H5Sclose(space);
}

// HDF5Object.readAttribute of `name`, written to `dst` in the reader's memory type.
static void copy_attribute(rebuild *r, hid_t src, hid_t dst, const char *path, const char *name) {
    // Property lists first: every API call clears the error stack that `note` reads.
    hid_t acpl = utf8_list(H5P_ATTRIBUTE_CREATE);
    hid_t attr = H5Aopen(src, name, H5P_DEFAULT), space = -1, ftype = -1, mtype = -1, dspace = -1, out = -1;
    void *buf = NULL;
    int rank = 0;
    hsize_t dims[32];
    kind k;
    size_t size;
    if (attr < 0 || (space = H5Aget_space(attr)) < 0 || (ftype = H5Aget_type(attr)) < 0) {
        note(r, 'a', path, name, "read attribute", NULL);
        placeholder_attribute(dst, name);
        goto done;
    }
    H5S_class_t cls = H5Sget_simple_extent_type(space);
    long long n = cls == H5S_NULL ? 0 : element_count(space, &rank, dims);
    if (n < 0) {
        note(r, 'a', path, name, "read attribute", "unsupported dataspace");
        placeholder_attribute(dst, name);
        goto done;
    }
    mtype = memory_type(ftype, &k, &size);
    dspace = fresh_space(cls, rank, dims);
    if (mtype < 0) {
        // A type the reader refuses: the same type, no value (the reader names the type).
        hid_t t = H5Tcopy(ftype);
        if (t >= 0) out = H5Acreate2(dst, name, t, dspace, acpl, H5P_DEFAULT);
        if (t >= 0) H5Tclose(t);
        if (out < 0) {
            note(r, 'a', path, name, "read attribute", "unsupported attribute type");
            placeholder_attribute(dst, name);
        }
        goto done;
    }
    if ((out = H5Acreate2(dst, name, mtype, dspace, acpl, H5P_DEFAULT)) < 0) {
        note(r, 'a', path, name, "read attribute", NULL);
        placeholder_attribute(dst, name);
        goto done;
    }
    if (n == 0 || size == 0) goto done;
    if ((unsigned long long)n > SIZE_MAX / size || !(buf = calloc((size_t)n, size))) {
        memory_exhausted = 1;
        finish(r, CHILD_OUT_OF_MEMORY);
    }
    if (H5Aread(attr, mtype, buf) < 0) {
        note(r, 'a', path, name, "read attribute", NULL);
        goto done;
    }
    herr_t w = H5Awrite(out, mtype, buf);
    if (k == K_VSTRING) H5Dvlen_reclaim(mtype, dspace, H5P_DEFAULT, buf);
    if (w < 0) copy_failed(r, "write attribute");
done:
    free(buf);
    if (out >= 0) H5Aclose(out);
    if (dspace >= 0) H5Sclose(dspace);
    if (mtype >= 0) H5Tclose(mtype);
    if (ftype >= 0) H5Tclose(ftype);
    if (space >= 0) H5Sclose(space);
    if (attr >= 0) H5Aclose(attr);
    H5Pclose(acpl);
}

// CKPT_MAX_UNINDEXED_ATTRIBUTES (shim.h): attributes without a name index cost a linear search
// each in libhdf5 1.10. 0 with a finding, before any is read, when the object holds more of
// them than the limit; objects whose attributes are indexed pass.
static int admit_unindexed_attributes(rebuild *r, hid_t src, const char *path, unsigned long long n) {
    long long cap = r->limits->max_unindexed_attributes;
    if (cap <= 0 || n <= (unsigned long long)cap) return 1;
    int indexed = ckpt_attributes_indexed(src);
    if (indexed < 0) { note(r, 'A', path, "", "count attributes", NULL); return 0; }
    if (indexed) return 1;
    char reason[1024];
    ckpt_unindexed_attributes_reason(n, cap, reason, sizeof reason);
    note(r, 'A', path, "", "list attributes", reason);
    return 0;
}

// HDF5Object.attributeNames (creation order when tracked, else name order), then each value.
static void copy_attributes(rebuild *r, hid_t src, hid_t dst, const char *path, int ordered) {
    H5O_info_t info;
    if (H5Oget_info2(src, &info, H5O_INFO_NUM_ATTRS) < 0) { note(r, 'A', path, "", "count attributes", NULL); return; }
    if (info.num_attrs == 0) return;
    if (!admit_listing(r, 'A', path, "list attributes", info.num_attrs, "attributes")) return;
    if (!admit_unindexed_attributes(r, src, path, info.num_attrs)) return;
    name_list names = {.limit = info.num_attrs};
    hsize_t idx = 0;
    if (H5Aiterate2(src, ordered ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME, H5_ITER_INC, &idx, attribute_name_cb, &names) < 0) {
        note(r, 'A', path, "", "list attributes", NULL);
    } else if (names.count != info.num_attrs) {
        notef(r, 'A', path, "", "list attributes", "%llu attributes announced, %zu listed",
              (unsigned long long)info.num_attrs, names.count);
    } else {
        for (size_t i = 0; i < names.count; i++) copy_attribute(r, src, dst, path, names.names[i]);
    }
    names_free(&names);
}

// ---------------------------------------------------------------- datasets

// Reads the block `count` of the dataset through `fspace`'s selection (the same selection on
// `dspace` of the copy) and writes it to the copy.
static int copy_block(rebuild *r, hid_t src, hid_t dst, hid_t mtype, hid_t fspace, hid_t dspace, int rank,
                      const hsize_t *count, kind k, const char *path) {
    // The memory space has the block's own shape: with any other shape, libhdf5 maps chunked
    // data to memory element by element (100x slower).
    hid_t mspace = rank > 0 ? H5Screate_simple(rank, count, NULL) : H5Screate(H5S_SCALAR);
    if (mspace < 0) copy_failed(r, "create dataspace");
    int ok = 1;
    if (H5Dread(src, mtype, mspace, fspace, H5P_DEFAULT, r->buffer) < 0) {
        char why[512];
        ckpt_last_error(why, sizeof why);  // before ckpt_missing_filter clears the stack
        ckpt_missing_filter(src, why, sizeof why);
        note(r, 'D', path, "", "read dataset", why);
        ok = 0;
    } else {
        herr_t w = H5Dwrite(dst, mtype, mspace, dspace, H5P_DEFAULT, r->buffer);
        if (k == K_VSTRING) H5Dvlen_reclaim(mtype, mspace, H5P_DEFAULT, r->buffer);
        if (w < 0) copy_failed(r, "write dataset");
    }
    H5Sclose(mspace);
    return ok;
}

// Every element of the dataset, in hyperslabs of at most slice_bytes: the suffix of dimensions
// that fits in one slice is read whole, as many indices of the dimension before it as fit, and
// the leading dimensions one index at a time.
static void copy_data(rebuild *r, hid_t src, hid_t dst, hid_t mtype, hid_t fspace, int rank, const hsize_t *dims,
                      size_t esize, kind k, const char *path) {
    size_t cap = r->limits->slice_bytes / esize;
    if (cap == 0) { note(r, 'D', path, "", "read dataset", "elements larger than a read slice"); return; }
    if (rank == 0) { copy_block(r, src, dst, mtype, H5S_ALL, H5S_ALL, 0, NULL, k, path); return; }
    int j = rank;  // dims[j...] fit in one slice
    hsize_t unit = 1;
    while (j > 0 && dims[j - 1] <= cap / unit) unit *= dims[--j];
    if (j == 0) { copy_block(r, src, dst, mtype, H5S_ALL, H5S_ALL, rank, dims, k, path); return; }
    if (unit == 0) return;
    hid_t dspace = H5Dget_space(dst);
    if (dspace < 0) copy_failed(r, "get dataspace");
    hsize_t start[32] = {0}, count[32];
    for (int i = 0; i < rank; i++) count[i] = i >= j ? dims[i] : 1;
    int step_dim = j - 1;
    hsize_t step = cap / unit > 0 ? cap / unit : 1;
    for (;;) {
        count[step_dim] = dims[step_dim] - start[step_dim] < step ? dims[step_dim] - start[step_dim] : step;
        if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0) {
            note(r, 'D', path, "", "read dataset", NULL);
            break;
        }
        if (H5Sselect_hyperslab(dspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0) copy_failed(r, "select");
        if (!copy_block(r, src, dst, mtype, fspace, dspace, rank, count, k, path)) break;
        // Advance like an odometer over dims[0 ... step_dim].
        int d = step_dim;
        start[d] += count[d];
        while (d > 0 && start[d] >= dims[d]) {
            start[d] = 0;
            start[--d] += 1;
        }
        if (start[0] >= dims[0]) break;
    }
    H5Sclose(dspace);
}

// Large plain data need not pass through the copy: a contiguous, unfiltered dataset whose
// stored type is byte for byte the reader's memory type, and whose bytes lie inside the file,
// becomes a dataset of the copy with external storage (HDF5's external file list) pointing at
// those bytes in the original. The caller's read is then a plain read of data bytes, with
// offsets the child wrote, and no untrusted metadata involved; checksums cover the bytes as
// before. 1 when `out_dcpl` now says so.
static int raw_in_place(rebuild *r, hid_t dset, hid_t dcpl, hid_t ftype, hid_t mtype, kind k, long long n,
                        size_t size, hid_t out_dcpl) {
    if (!r->original || k != K_ELEMENT || mtype < 0 || n <= 0) return 0;
    if (H5Pget_layout(dcpl) != H5D_CONTIGUOUS || H5Pget_nfilters(dcpl) != 0 || H5Pget_external_count(dcpl) != 0) return 0;
    if (H5Tequal(ftype, mtype) <= 0) return 0;
    unsigned long long bytes;
    if (__builtin_mul_overflow((unsigned long long)n, (unsigned long long)size, &bytes)) return 0;
    haddr_t offset = H5Dget_offset(dset);
    if (offset == HADDR_UNDEF || H5Dget_storage_size(dset) != bytes) return 0;
    if (offset > r->original_size || bytes > r->original_size - offset || offset > (haddr_t)INT64_MAX) return 0;
    if (bytes < r->limits->slice_bytes) return 0;  // small data is cheaper to copy than to open a file for
    return H5Pset_external(out_dcpl, r->original, (off_t)offset, (hsize_t)bytes) >= 0;
}

static void placeholder_link(hid_t dst, const char *name) {
    hid_t lcpl = utf8_list(H5P_LINK_CREATE);
    H5Lcreate_soft("/.ckpt: unreadable in the original file", dst, name, lcpl, H5P_DEFAULT);
    H5Pclose(lcpl);
}

// HDF5Dataset as the reader reads it (checkPlausible, then the data in the memory type),
// re-created in `dst` as a contiguous dataset of that memory type.
static void copy_dataset(rebuild *r, hid_t src_group, hid_t dst_group, const char *name, const char *path) {
    // Property lists first: every API call clears the error stack that `note` reads.
    hid_t lcpl = utf8_list(H5P_LINK_CREATE);
    hid_t dset = H5Dopen2(src_group, name, H5P_DEFAULT), space = -1, ftype = -1, dcpl = -1, mtype = -1;
    hid_t dspace = -1, out_dcpl = -1, out = -1, type = -1;
    int rank = 0;
    hsize_t dims[32];
    kind k = K_OTHER;
    size_t size = 0;
    if (dset < 0) { note(r, 'k', path, "", "open dataset", NULL); placeholder_link(dst_group, name); goto done; }
    if ((space = H5Dget_space(dset)) < 0 || (ftype = H5Dget_type(dset)) < 0 || (dcpl = H5Dget_create_plist(dset)) < 0) {
        note(r, 'k', path, "", "open dataset", NULL);
        placeholder_link(dst_group, name);
        goto done;
    }
    H5S_class_t cls = H5Sget_simple_extent_type(space);
    long long n = cls == H5S_NULL ? 0 : element_count(space, &rank, dims);
    if (n < 0) {
        note(r, 'k', path, "", "read dataspace", "unsupported dataspace");
        placeholder_link(dst_group, name);
        goto done;
    }
    mtype = memory_type(ftype, &k, &size);
    type = mtype >= 0 ? H5Tcopy(mtype) : H5Tcopy(ftype);
    dspace = fresh_space(cls, rank, dims);
    out_dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (type < 0 || dspace < 0 || out_dcpl < 0) copy_failed(r, "create dataset");
    H5Pset_attr_creation_order(out_dcpl, order_flags(dcpl, 0));
    // Allocated when written, no fill pass (HDF5 requires fill values for variable-length types).
    if (k != K_VSTRING && H5Tdetect_class(type, H5T_VLEN) <= 0) H5Pset_fill_time(out_dcpl, H5D_FILL_TIME_NEVER);
    int external = raw_in_place(r, dset, dcpl, ftype, mtype, k, n, size, out_dcpl);
    if ((out = H5Dcreate2(dst_group, name, type, dspace, lcpl, out_dcpl, H5P_DEFAULT)) < 0) {
        note(r, 'k', path, "", "open dataset", mtype < 0 ? "a dataset of a type libhdf5 cannot re-create" : NULL);
        placeholder_link(dst_group, name);
        goto done;
    }
    copy_attributes(r, dset, out, path, order_flags(dcpl, 0) != 0);
    if (mtype < 0 || n == 0 || size == 0) goto done;
    // HDF5Dataset.checkPlausible with the original's size and layout: the reader allocates
    // nothing the file cannot back (filtered data may expand up to 1024x). Strings check their
    // count first (readStrings), fixed ones then count x size.
    H5D_layout_t layout = H5Pget_layout(dcpl);
    int filtered = layout == H5D_CHUNKED && H5Pget_nfilters(dcpl) > 0;
    unsigned long long limit = r->file_size * (filtered ? 1024ULL : 1ULL);
    unsigned long long claims[2] = {(unsigned long long)n, 0};
    if (__builtin_mul_overflow((unsigned long long)n, (unsigned long long)size, &claims[1])) claims[1] = ULLONG_MAX;
    int checks = k == K_VSTRING ? 1 : 2;
    for (int c = k == K_ELEMENT ? 1 : 0; c < checks; c++) {
        if (claims[c] > limit) {
            notef(r, 'P', path, "", "read dataset", "dataset claims %llu bytes but the file holds only %llu",
                  claims[c], (unsigned long long)r->file_size);
            goto done;
        }
    }
    if (layout == H5D_VIRTUAL) { note(r, 'P', path, "", "read dataset", "virtual datasets are not read"); goto done; }
    if (!external) copy_data(r, dset, out, mtype, space, rank, dims, size, k, path);
done:
    if (out >= 0) H5Dclose(out);
    if (type >= 0) H5Tclose(type);
    if (out_dcpl >= 0) H5Pclose(out_dcpl);
    if (dspace >= 0) H5Sclose(dspace);
    if (mtype >= 0) H5Tclose(mtype);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (ftype >= 0) H5Tclose(ftype);
    if (space >= 0) H5Sclose(space);
    if (dset >= 0) H5Dclose(dset);
    H5Pclose(lcpl);
}

// ---------------------------------------------------------------- groups and links

static void copy_group(rebuild *r, hid_t src, hid_t dst, const char *path, int depth, int attrs_ordered);

static hid_t create_group(hid_t dst_parent, const char *name, hid_t src_cpl) {
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE), lcpl = utf8_list(H5P_LINK_CREATE);
    H5Pset_link_creation_order(gcpl, order_flags(src_cpl, 1));
    H5Pset_attr_creation_order(gcpl, order_flags(src_cpl, 0));
    hid_t g = H5Gcreate2(dst_parent, name, lcpl, gcpl, H5P_DEFAULT);
    H5Pclose(lcpl);
    H5Pclose(gcpl);
    return g;
}

// HDF5Group.childKind + openGroup / openDataset: hard links are followed, soft and external
// links copied as links (never followed), anything else becomes a finding.
static void copy_link(rebuild *r, hid_t src, hid_t dst, const char *group_path, const char *name, int depth) {
    if (!name[0] || strchr(name, '/') || strcmp(name, ".") == 0) {
        // HDF5 paths cannot address it: the reader lists it and then finds no such object.
        notef(r, 'L', group_path, "", "list group", "a link named '%s', which no HDF5 path can address", name);
        return;
    }
    char *path = child_path(group_path, name);
    if (!path) finish(r, CHILD_OUT_OF_MEMORY);
    hid_t lcpl = utf8_list(H5P_LINK_CREATE);
    H5L_info_t li;
    htri_t exists = H5Lexists(src, name, H5P_DEFAULT);
    if (exists <= 0 || H5Lget_info(src, name, &li, H5P_DEFAULT) < 0) {
        note(r, 'k', path, "", exists == 0 ? "open" : "get link info", exists == 0 ? "no such object" : NULL);
        placeholder_link(dst, name);
        goto done;
    }
    if (li.type == H5L_TYPE_SOFT || li.type == H5L_TYPE_EXTERNAL) {
        size_t n = li.u.val_size;
        char *val = n <= (1 << 20) ? malloc(n + 1) : NULL;
        herr_t made = -1;
        if (val && H5Lget_val(src, name, val, n + 1, H5P_DEFAULT) >= 0) {
            val[n] = 0;
            if (li.type == H5L_TYPE_SOFT) {
                made = H5Lcreate_soft(val, dst, name, lcpl, H5P_DEFAULT);
            } else {
                const char *file = NULL, *obj = NULL;
                unsigned flags = 0;
                if (H5Lunpack_elink_val(val, n, &flags, &file, &obj) >= 0 && file && obj)
                    made = H5Lcreate_external(file, obj, dst, name, lcpl, H5P_DEFAULT);
            }
        }
        free(val);
        if (made < 0) { note(r, 'k', path, "", "get link info", NULL); placeholder_link(dst, name); }
        goto done;
    }
    if (li.type != H5L_TYPE_HARD) {
        notef(r, 'k', path, "", "open", "a user-defined link (class %d), which ckpt does not follow", (int)li.type);
        placeholder_link(dst, name);
        goto done;
    }
    H5O_info_t oi;
    if (H5Oget_info_by_name2(src, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
        note(r, 'k', path, "", "get object info", NULL);
        placeholder_link(dst, name);
        goto done;
    }
    if (oi.type == H5O_TYPE_GROUP) {
        hid_t g = H5Gopen2(src, name, H5P_DEFAULT), cpl = g >= 0 ? H5Gget_create_plist(g) : -1;
        hid_t out = g >= 0 ? create_group(dst, name, cpl) : -1;
        if (g < 0) {
            note(r, 'k', path, "", "open group", NULL);
            placeholder_link(dst, name);
        } else if (out < 0) {
            note(r, 'k', path, "", "open group", NULL);
            placeholder_link(dst, name);
        } else if (depth + 1 > r->limits->max_depth) {
            // One level past the reader's limit (its sections start below the root): the reader
            // stops at this group with its own error before it lists anything here.
            notef(r, 'L', path, "", "list group", "nested deeper than %d levels", r->limits->max_depth);
        } else {
            copy_group(r, g, out, path, depth + 1, order_flags(cpl, 0) != 0);
        }
        if (out >= 0) H5Gclose(out);
        if (cpl >= 0) H5Pclose(cpl);
        if (g >= 0) H5Gclose(g);
    } else if (oi.type == H5O_TYPE_DATASET) {
        copy_dataset(r, src, dst, name, path);
    } else if (oi.type == H5O_TYPE_NAMED_DATATYPE) {
        hid_t t = H5Topen2(src, name, H5P_DEFAULT), c = t >= 0 ? H5Tcopy(t) : -1;
        if (c < 0 || H5Tcommit2(dst, name, c, lcpl, H5P_DEFAULT, H5P_DEFAULT) < 0) {
            note(r, 'k', path, "", "open datatype", NULL);
            placeholder_link(dst, name);
        }
        if (c >= 0) H5Tclose(c);
        if (t >= 0) H5Tclose(t);
    } else {
        note(r, 'k', path, "", "get object info", "an object of unknown type");
        placeholder_link(dst, name);
    }
done:
    H5Pclose(lcpl);
    free(path);
}

// HDF5Group.childNames (creation order when tracked, else name order), then each link.
static void copy_group(rebuild *r, hid_t src, hid_t dst, const char *path, int depth, int attrs_ordered) {
    copy_attributes(r, src, dst, path, attrs_ordered);
    H5G_info_t gi;
    if (H5Gget_info(src, &gi) < 0) { note(r, 'L', path, "", "get group info", NULL); return; }
    if (gi.nlinks == 0) return;
    if (!admit_listing(r, 'L', path, "list group", gi.nlinks, "links")) return;
    hid_t cpl = H5Gget_create_plist(src);
    int ordered = order_flags(cpl, 1) != 0;
    if (cpl >= 0) H5Pclose(cpl);
    name_list names = {.limit = gi.nlinks};
    hsize_t idx = 0;
    if (H5Literate(src, ordered ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME, H5_ITER_INC, &idx, link_name_cb, &names) < 0) {
        note(r, 'L', path, "", "list group", NULL);
    } else if (names.count != gi.nlinks) {
        notef(r, 'L', path, "", "list group", "%llu links announced, %zu listed", (unsigned long long)gi.nlinks, names.count);
    } else {
        for (size_t i = 0; i < names.count; i++) copy_link(r, src, dst, path, names.names[i], depth);
    }
    names_free(&names);
}

// ---------------------------------------------------------------- the child's life

void ckpt_rebuild_child(const char *path, const char *copy_path, const ckpt_probe_limits *limits, int findings_fd) {
    rebuild r = {.limits = limits, .findings_fd = findings_fd};
    if (limits->check_global_heaps && ckpt_corrupt_global_heap(path)) finish(&r, CHILD_CORRUPT_HEAP);
    if (!(r.buffer = malloc(limits->slice_bytes ? limits->slice_bytes : 1))) finish(&r, CHILD_OUT_OF_MEMORY);
    H5Eset_auto2(H5E_DEFAULT, on_hdf5_error, NULL);  // prints nothing; notes allocation failures
    if (limits->check_global_heaps) ckpt_check_vlen_references();
    // HDF5File.open's access properties, for the original and the copy alike.
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V110) < 0 ||
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0 || H5Pset_file_locking(fapl, 0, 1) < 0)
        finish(&r, CHILD_REFUSED);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, fapl), root = -1;
    if (file < 0 || (root = H5Gopen2(file, "/", H5P_DEFAULT)) < 0) {
        if (memory_exhausted) finish(&r, CHILD_OUT_OF_MEMORY);
        note(&r, 'F', "/", "", "open file", NULL);
        finish(&r, CHILD_REFUSED);
    }
    if (H5Fget_filesize(file, &r.file_size) < 0) r.file_size = 0;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        r.original = realpath(path, NULL);
        r.original_size = (unsigned long long)st.st_size;
        haddr_t eoa = HADDR_UNDEF;
        hsize_t user_block = 0;
        hid_t file_cpl = H5Fget_create_plist(file);
        if (H5Fget_eoa(file, &eoa) < 0 || file_cpl < 0 || H5Pget_userblock(file_cpl, &user_block) < 0) {
            r.original_size = 0;  // unknown: nothing is read in place
        } else if (eoa + user_block < r.original_size) {
            r.original_size = eoa + user_block;
        }
        if (file_cpl >= 0) H5Pclose(file_cpl);
    }
    hid_t root_cpl = H5Gget_create_plist(root), fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_link_creation_order(fcpl, order_flags(root_cpl, 1));
    H5Pset_attr_creation_order(fcpl, order_flags(root_cpl, 0));
    int attrs_ordered = order_flags(root_cpl, 0) != 0;
    if (root_cpl >= 0) H5Pclose(root_cpl);
    hid_t copy = H5Fcreate(copy_path, H5F_ACC_TRUNC, fcpl, fapl), copy_root = -1;
    if (copy < 0 || (copy_root = H5Gopen2(copy, "/", H5P_DEFAULT)) < 0) copy_failed(&r, "create file");
    copy_group(&r, root, copy_root, "/", 0, attrs_ordered);
    H5Gclose(copy_root);
    if (H5Fclose(copy) < 0) copy_failed(&r, "close file");
    // Closing frees what the walk allocated: glibc checks those chunks as they go back, so
    // heap damage that did not crash the walk still ends the child (SIGABRT) here.
    H5Gclose(root);
    H5Fclose(file);
    H5garbage_collect();
    free(r.buffer);
    malloc_trim(0);  // consolidates free chunks, checking their headers on the way
    finish(&r, memory_exhausted ? CHILD_OUT_OF_MEMORY : CHILD_COPIED);
}
