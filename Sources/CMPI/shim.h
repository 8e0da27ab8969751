// OpenMPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are macros over the addresses of
// global structs, which Swift cannot import; these inline functions make them callable.
// Only built in the MPI flavour (CKPT_MPI=1, see docs/MPI.md).
#ifndef CKPT_CMPI_SHIM_H
#define CKPT_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm ckpt_MPI_COMM_WORLD(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype ckpt_MPI_BYTE(void) { return MPI_BYTE; }
static inline MPI_Datatype ckpt_MPI_FLOAT(void) { return MPI_FLOAT; }
static inline MPI_Datatype ckpt_MPI_DOUBLE(void) { return MPI_DOUBLE; }
static inline MPI_Datatype ckpt_MPI_INT32(void) { return MPI_INT32_T; }
static inline MPI_Datatype ckpt_MPI_INT64(void) { return MPI_INT64_T; }
static inline MPI_Op ckpt_MPI_MAX(void) { return MPI_MAX; }
static inline MPI_Op ckpt_MPI_MIN(void) { return MPI_MIN; }
static inline MPI_Op ckpt_MPI_SUM(void) { return MPI_SUM; }
static inline MPI_Info ckpt_MPI_INFO_NULL(void) { return MPI_INFO_NULL; }
static inline int ckpt_MPI_THREAD_FUNNELED(void) { return MPI_THREAD_FUNNELED; }
static inline MPI_Status *ckpt_MPI_STATUS_IGNORE(void) { return MPI_STATUS_IGNORE; }
#endif
