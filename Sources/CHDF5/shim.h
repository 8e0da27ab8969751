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
#endif
