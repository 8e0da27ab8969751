// HDF5's constants are macros over global ids that Swift cannot import; these inline
// functions make them callable. Only the safe `HDF5` module uses this shim.
#ifndef CKPT_CHDF5_SHIM_H
#define CKPT_CHDF5_SHIM_H
#include <hdf5.h>

static inline hid_t ckpt_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t ckpt_H5S_ALL(void) { return H5S_ALL; }
static inline hid_t ckpt_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t ckpt_H5P_FILE_CREATE(void) { return H5P_FILE_CREATE; }
static inline hid_t ckpt_H5P_GROUP_CREATE(void) { return H5P_GROUP_CREATE; }
static inline hid_t ckpt_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t ckpt_H5P_DATASET_XFER(void) { return H5P_DATASET_XFER; }
static inline hid_t ckpt_H5P_ATTRIBUTE_CREATE(void) { return H5P_ATTRIBUTE_CREATE; }
static inline hid_t ckpt_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }

static inline unsigned ckpt_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned ckpt_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline unsigned ckpt_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned ckpt_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }

static inline hid_t ckpt_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t ckpt_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t ckpt_H5T_NATIVE_INT8(void) { return H5T_NATIVE_INT8; }
static inline hid_t ckpt_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t ckpt_H5T_NATIVE_INT16(void) { return H5T_NATIVE_INT16; }
static inline hid_t ckpt_H5T_NATIVE_UINT16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t ckpt_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t ckpt_H5T_NATIVE_UINT32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t ckpt_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t ckpt_H5T_NATIVE_UINT64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t ckpt_H5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t ckpt_H5T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }
static inline hid_t ckpt_H5T_STD_I8LE(void) { return H5T_STD_I8LE; }
static inline hid_t ckpt_H5T_STD_U8LE(void) { return H5T_STD_U8LE; }
static inline hid_t ckpt_H5T_STD_I32LE(void) { return H5T_STD_I32LE; }
static inline hid_t ckpt_H5T_STD_I64LE(void) { return H5T_STD_I64LE; }
static inline hid_t ckpt_H5T_C_S1(void) { return H5T_C_S1; }
static inline size_t ckpt_H5T_VARIABLE(void) { return H5T_VARIABLE; }

static inline H5F_libver_t ckpt_H5F_LIBVER_V18(void) { return H5F_LIBVER_V18; }
static inline H5F_libver_t ckpt_H5F_LIBVER_V110(void) { return H5F_LIBVER_V110; }
static inline H5F_libver_t ckpt_H5F_LIBVER_EARLIEST(void) { return H5F_LIBVER_EARLIEST; }

/// Silences HDF5's automatic error-stack printing; errors are reported as Swift values.
static inline herr_t ckpt_silence_errors(void) { return H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
static inline herr_t ckpt_clear_errors(void) { return H5Eclear2(H5E_DEFAULT); }

// ---- Added by the HDF5 module (format helper): small helpers Swift cannot express directly.
#include <stdio.h>
#include <string.h>

static inline H5S_class_t ckpt_H5S_NULL(void) { return H5S_NULL; }
static inline H5S_class_t ckpt_H5S_SCALAR(void) { return H5S_SCALAR; }
static inline H5S_class_t ckpt_H5S_SIMPLE(void) { return H5S_SIMPLE; }

/// IEEE binary16, little-endian, laid out exactly as h5py builds its float16 type
/// (copy of F32LE; fields 15/10/5/0/10; size 2; bias 15) so h5py reads it as numpy float16.
static inline hid_t ckpt_make_f16_type(void) {
    hid_t t = H5Tcopy(H5T_IEEE_F32LE);
    if (t < 0) return t;
    if (H5Tset_fields(t, 15, 10, 5, 0, 10) < 0 || H5Tset_size(t, 2) < 0 || H5Tset_ebias(t, 15) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/// numpy's bool as h5py stores it: an enum over int8 with FALSE = 0, TRUE = 1.
static inline hid_t ckpt_make_bool_type(void) {
    hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
    if (t < 0) return t;
    signed char f = 0, tr = 1;
    if (H5Tenum_insert(t, "FALSE", &f) < 0 || H5Tenum_insert(t, "TRUE", &tr) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/// Variable-length UTF-8 string type (h5py's `str`).
static inline hid_t ckpt_make_vlen_utf8_type(void) {
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/// Fixed-length string memory type of `size` bytes (for reading foreign fixed strings).
static inline hid_t ckpt_make_fixed_string_type(size_t size) {
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return t;
    if (H5Tset_size(t, size) < 0 || H5Tset_strpad(t, H5T_STR_NULLPAD) < 0) { H5Tclose(t); return -1; }
    return t;
}

/// Object type behind a link: 0 group, 1 dataset, 2 named datatype, 3 other, -1 error.
static inline int ckpt_object_type(hid_t loc, const char *name) {
    H5O_info_t info;
    if (H5Oget_info_by_name2(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return -1;
    switch (info.type) {
    case H5O_TYPE_GROUP: return 0;
    case H5O_TYPE_DATASET: return 1;
    case H5O_TYPE_NAMED_DATATYPE: return 2;
    default: return 3;
    }
}

/// File address of the object behind a link (identifies hard links to one object), or -1.
static inline long long ckpt_object_address(hid_t loc, const char *name) {
    H5O_info_t info;
    if (H5Oget_info_by_name2(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return -1;
    return (long long)info.addr;
}

/// File offset of a contiguous dataset's raw data, or -1 when it has none (unallocated,
/// compact or chunked).
static inline long long ckpt_dataset_offset(hid_t dset) {
    haddr_t a = H5Dget_offset(dset);
    return a == HADDR_UNDEF ? -1 : (long long)a;
}

/// Number of attributes on an open object, or -1.
static inline long long ckpt_attribute_count(hid_t obj) {
    H5O_info_t info;
    if (H5Oget_info2(obj, &info, H5O_INFO_NUM_ATTRS) < 0) return -1;
    return (long long)info.num_attrs;
}

/// Most attributes one object may hold without a name index. Such attributes (an HDF5 1.6
/// object header, h5py's default layout, or compact storage raised past its default of 8) are
/// a list in the object header, and libhdf5 1.10 finds each by a linear search, so reading n
/// of them costs n²/2 name comparisons: 30,000 on one group took 4-10 s of CPU, 9,000 took
/// 0.8-1.5 s (2026-12, loaded 2-core machine). Attributes with a name index (dense storage)
/// cost log n each and have no such limit. The reader (HDF5Object.attributeNames) and the
/// isolated probe (rebuild.c) both refuse past it, in the words of
/// ckpt_unindexed_attributes_reason.
#define CKPT_MAX_UNINDEXED_ATTRIBUTES 8192

/// 1 when the attributes of an open object have a name index (dense storage), 0 when they
/// are a list in its object header, -1 on error.
static inline int ckpt_attributes_indexed(hid_t obj) {
    H5O_info_t info;
    if (H5Oget_info2(obj, &info, H5O_INFO_META_SIZE) < 0) return -1;
    return info.meta_size.attr.index_size > 0;
}

/// Why an object with `count` unindexed attributes (more than `limit`) is not read, and what
/// to do about it.
static inline void ckpt_unindexed_attributes_reason(unsigned long long count, long long limit, char *out, size_t size) {
    snprintf(out, size,
             "%llu attributes stored without a name index (an HDF5 1.6 object header, h5py's default); "
             "libhdf5 1.10 finds each by a linear search, so reading them takes time that grows with the "
             "square of their count, and ckpt reads at most %lld per object. Re-save the file with "
             "h5py.File(path, \"w\", libver=\"latest\"), which indexes attributes, or keep such values in a dataset",
             count, limit);
}

/// Link kind: 0 hard, 1 soft, 2 external, 3 other, -1 error. Writes a soft link's target
/// (or an external link's "file:path") into `buf` when `buf` is non-null.
static inline int ckpt_link_kind(hid_t loc, const char *name, char *buf, size_t size) {
    H5L_info_t info;
    if (H5Lget_info(loc, name, &info, H5P_DEFAULT) < 0) return -1;
    if (buf && size) buf[0] = 0;
    switch (info.type) {
    case H5L_TYPE_HARD: return 0;
    case H5L_TYPE_SOFT:
        if (buf && size && info.u.val_size <= size) H5Lget_val(loc, name, buf, size, H5P_DEFAULT);
        return 1;
    case H5L_TYPE_EXTERNAL: {
        if (buf && size && info.u.val_size <= size) {
            char tmp[4096];
            const char *file = NULL, *path = NULL;
            unsigned flags = 0;
            if (info.u.val_size <= sizeof tmp && H5Lget_val(loc, name, tmp, sizeof tmp, H5P_DEFAULT) >= 0 &&
                H5Lunpack_elink_val(tmp, info.u.val_size, &flags, &file, &path) >= 0 && file && path)
                snprintf(buf, size, "%s:%s", file, path);
        }
        return 2;
    }
    default: return 3;
    }
}

typedef struct { char text[512]; int found; } ckpt_error_capture;

static herr_t ckpt_error_walker(unsigned n, const H5E_error2_t *err, void *data) {
    ckpt_error_capture *cap = (ckpt_error_capture *)data;
    (void)n;
    if (!cap->found && err && err->desc && err->desc[0]) {
        snprintf(cap->text, sizeof cap->text, "%s", err->desc);
        cap->found = 1;
    }
    return 0;
}

/// The innermost (root-cause) description on HDF5's current error stack, or "" if none.
static inline void ckpt_last_error(char *buf, size_t size) {
    ckpt_error_capture cap;
    cap.text[0] = 0;
    cap.found = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, ckpt_error_walker, &cap);
    snprintf(buf, size, "%s", cap.text);
}

static inline H5_index_t ckpt_H5_INDEX_NAME(void) { return H5_INDEX_NAME; }
static inline H5_index_t ckpt_H5_INDEX_CRT_ORDER(void) { return H5_INDEX_CRT_ORDER; }
static inline H5_iter_order_t ckpt_H5_ITER_INC(void) { return H5_ITER_INC; }
static inline unsigned ckpt_H5P_CRT_ORDER_TRACKED_INDEXED(void) { return H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED; }
static inline unsigned ckpt_H5P_CRT_ORDER_TRACKED(void) { return H5P_CRT_ORDER_TRACKED; }
static inline H5F_close_degree_t ckpt_H5F_CLOSE_STRONG(void) { return H5F_CLOSE_STRONG; }
// Parallel HDF5 (the MPI flavour links hdf5-openmpi): the file is opened by every rank of
// MPI_COMM_WORLD through MPI-IO. In a serial libhdf5 both report that there is none.
#ifdef H5_HAVE_PARALLEL
static inline int ckpt_hdf5_is_parallel(void) { return 1; }
static inline herr_t ckpt_set_fapl_mpio_world(hid_t fapl) { return H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, MPI_INFO_NULL); }
#else
static inline int ckpt_hdf5_is_parallel(void) { return 0; }
static inline herr_t ckpt_set_fapl_mpio_world(hid_t fapl) { (void)fapl; return -1; }
#endif

#endif
