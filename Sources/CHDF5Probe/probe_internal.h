// Shared by the probe's translation units (not part of the module's public header).
#ifndef CKPT_PROBE_INTERNAL_H
#define CKPT_PROBE_INTERNAL_H
#include "ckpt_h5_probe.h"

#include <hdf5.h>
#include <stdint.h>

// Exit statuses of the child (a crash is a signal).
enum {
    CHILD_COPIED = 0,         // the copy is complete; findings say what could not be read
    CHILD_REFUSED = 1,        // the file cannot be opened at all (one 'F' finding says why)
    CHILD_CORRUPT_HEAP = 3,   // a global heap collection or a reference into one is inconsistent
    CHILD_OUT_OF_MEMORY = 4,  // libhdf5 or a buffer the reader would allocate hit the limit
    CHILD_COPY_FAILED = 5,    // writing the copy failed (one 'W' finding says why)
};

// heap_check.c: 1 when a global heap collection of the file at `path` is inconsistent; notes
// every collection's objects for the reference check below.
int ckpt_corrupt_global_heap(const char *path);
// Replaces libhdf5's variable-length conversion with one that first checks each string's
// reference into the collections noted above (exit CHILD_CORRUPT_HEAP on a bad one).
void ckpt_check_vlen_references(void);

// rebuild.c: the child's whole life after set-up; never returns.
void ckpt_rebuild_child(const char *path, const char *copy_path, const ckpt_probe_limits *limits, int findings_fd)
    __attribute__((noreturn));

#endif
