// What a collective checkpoint costs in parallel HDF5 (docs/SCALE.md): one file opened by every
// rank with H5Pset_fapl_mpio, every dataset created collectively (all ranks, same metadata),
// each tensor's data written independently by its owner (round-robin ownership), a collective
// close, then MPI_File-level fsync through H5Fflush; and the load: every rank opens the file and
// reads the tensors it owns. Prints one CSV line from rank 0:
//   ranks,tensors,bytes,create_s,write_s,close_s,open_s,read_s
// Build: mpicc -O2 scripts/mpi/phdf5_cost.c $(pkg-config --cflags --libs hdf5-openmpi) -o /tmp/phdf5_cost
// Run:   mpirun -n N --oversubscribe /tmp/phdf5_cost PATH TENSORS TOTAL_MIB
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static double now(void) { return MPI_Wtime(); }

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc != 4) { if (!rank) fprintf(stderr, "usage: phdf5_cost PATH TENSORS TOTAL_MIB\n"); MPI_Abort(MPI_COMM_WORLD, 2); }
    const char *path = argv[1];
    long tensors = atol(argv[2]);
    long long total = atoll(argv[3]) << 20;
    hsize_t per = (hsize_t)(total / 4 / tensors);  // float32 elements per tensor
    if (per == 0) per = 1;
    float *buf = malloc(per * sizeof(float));
    for (hsize_t i = 0; i < per; i++) buf[i] = (float)(i % 1000) * 0.001f + rank;

    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, MPI_INFO_NULL);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V110);
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = now();
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    hid_t space = H5Screate_simple(1, &per, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY);  // parallel HDF5 allocates at creation anyway
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
    hid_t *d = malloc(sizeof(hid_t) * tensors);
    char name[64];
    for (long t = 0; t < tensors; t++) {  // collective: every rank, same order, same arguments
        snprintf(name, sizeof name, "t%06ld", t);
        d[t] = H5Dcreate2(f, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    double t1 = now();
    for (long t = rank; t < tensors; t += size)  // independent writes by the owner
        H5Dwrite(d[t], H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    MPI_Barrier(MPI_COMM_WORLD);
    double t2 = now();
    for (long t = 0; t < tensors; t++) H5Dclose(d[t]);
    H5Fflush(f, H5F_SCOPE_GLOBAL);  // MPI_File_sync under the MPI-IO driver
    H5Fclose(f);
    MPI_Barrier(MPI_COMM_WORLD);
    double t3 = now();

    hid_t fr = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    MPI_Barrier(MPI_COMM_WORLD);
    double t4 = now();
    for (long t = rank; t < tensors; t += size) {
        snprintf(name, sizeof name, "t%06ld", t);
        hid_t ds = H5Dopen2(fr, name, H5P_DEFAULT);
        H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        H5Dclose(ds);
    }
    H5Fclose(fr);
    MPI_Barrier(MPI_COMM_WORLD);
    double t5 = now();
    if (!rank) {
        printf("%d,%ld,%lld,%.4f,%.4f,%.4f,%.4f,%.4f\n", size, tensors, (long long)(per * 4 * tensors),
               t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4);
        unlink(path);
    }
    H5Sclose(space); H5Pclose(dcpl); H5Pclose(fapl);
    free(buf); free(d);
    MPI_Finalize();
    return 0;
}
