// Isolated rebuild of an untrusted HDF5 file: libhdf5 1.10 reads the whole file in a forked
// child, as ckpt's reader would, and writes what it read into a fresh file. A crash or endless
// loop inside the C library kills the child, not the caller, and the caller parses only the
// copy, whose structure libhdf5 itself wrote.
#ifndef CKPT_H5_PROBE_H
#define CKPT_H5_PROBE_H
#include <stddef.h>
#include <stdint.h>

/// What became of the probe.
typedef enum {
    /// The copy is complete. `findings` lists what the child could not read (each where the
    /// reader would meet it); the copy holds an empty stand-in there.
    CKPT_PROBE_OK = 0,
    /// The file cannot be opened at all (not HDF5, truncated superblock): `findings` holds
    /// one 'F' record saying why. No copy.
    CKPT_PROBE_REFUSED = 1,
    /// The child died of a signal (`signal` says which).
    CKPT_PROBE_CRASHED = 2,
    /// The child outran `wall_seconds` and was killed.
    CKPT_PROBE_TIMED_OUT = 3,
    /// The child outran `cpu_seconds` (SIGXCPU).
    CKPT_PROBE_CPU_LIMIT = 4,
    /// fork or waitpid failed (`error` holds errno): nothing was learnt.
    CKPT_PROBE_UNAVAILABLE = 5,
    /// A global heap collection (where variable-length strings live) is inconsistent: an
    /// object reaches past the collection's end, or a string refers to an object the
    /// collection does not hold. libhdf5 1.10 follows both without a bounds check, which
    /// crashes or silently corrupts memory depending on what lies beyond, so surviving the
    /// walk proves nothing: the file is refused outright.
    CKPT_PROBE_CORRUPT_HEAP = 6,
    /// libhdf5 (or a read the reader would make) needed more memory than `extra_data_bytes`:
    /// the caller's parse, which has no such limit, would take it from the process.
    CKPT_PROBE_MEMORY_LIMIT = 7,
    /// Writing the copy failed (a full or unwritable temporary directory): `findings` holds one
    /// 'W' record with HDF5's reason. Not the file's fault.
    CKPT_PROBE_COPY_FAILED = 8,
} ckpt_probe_status;

typedef struct {
    /// Wall-clock seconds before the child is killed (SIGKILL).
    double wall_seconds;
    /// RLIMIT_CPU of the child, in seconds (0: none).
    long cpu_seconds;
    /// Extra bytes of data segment the child may allocate beyond what it inherits (0: none).
    long long extra_data_bytes;
    /// Deepest group nesting followed (the reader's limit).
    int max_depth;
    /// Most attributes + links visited (the reader's limit).
    long long max_objects;
    /// Most attributes one object may hold without a name index (0: no limit; the reader's is
    /// CKPT_MAX_UNINDEXED_ATTRIBUTES, whose comment says why). Past it the object's attribute
    /// listing is a finding ('A'), made before any attribute is read.
    long long max_unindexed_attributes;
    /// Dataset data is read in hyperslabs of at most this many bytes.
    size_t slice_bytes;
    /// Check global heap collections before the walk (CKPT_PROBE_CORRUPT_HEAP); 0 only to
    /// show that a file really crashes libhdf5.
    int check_global_heaps;
    /// Largest copy the child may write (RLIMIT_FSIZE; 0: none): past it the write fails and
    /// the probe ends CKPT_PROBE_COPY_FAILED ("File too large").
    long long max_copy_bytes;
} ckpt_probe_limits;

typedef struct {
    ckpt_probe_status status;
    /// The signal that ended the child (CKPT_PROBE_CRASHED).
    int signal;
    /// errno of the failed fork/waitpid (CKPT_PROBE_UNAVAILABLE).
    int error;
    /// Wall-clock seconds the probe took.
    double seconds;
    /// The child's findings (CKPT_PROBE_OK, _REFUSED, _COPY_FAILED): records of five
    /// NUL-terminated fields (scope letter, object path, attribute name or "", operation,
    /// reason), as described in rebuild.c. Free with ckpt_h5_probe_free.
    char *findings;
    size_t findings_size;
} ckpt_probe_result;

/// Forks; the child opens `path` read-only with the access properties the ckpt reader uses,
/// reads every group, link, attribute and dataset as the reader would (listing order, memory
/// types, plausibility rule, data in slices) and writes it all to a new file at `copy_path`
/// (truncated), then exits. The parent waits (at most `limits->wall_seconds`) and fills `out`.
/// Returns `out->status`.
///
/// Safe in a multi-threaded process: the fork happens while this thread holds libhdf5's global
/// lock (inside an HDF5 iteration callback), so the child never inherits the library mid-call;
/// the child runs only C code and ends with `_exit`.
int ckpt_h5_probe(const char *path, const char *copy_path, const ckpt_probe_limits *limits, ckpt_probe_result *out);

/// Frees `result->findings`.
void ckpt_h5_probe_free(ckpt_probe_result *result);

/// When reading `dataset` (an HDF5 dataset id) needs a filter this libhdf5 cannot run (h5py's
/// lzf, a Blosc or Zstandard plugin), writes "filter lzf (id 32000, h5py-only) is not available
/// in libhdf5; re-save with gzip or no compression" into `out` and returns 1; else 0. Clears
/// libhdf5's error stack: read the stack first.
int ckpt_missing_filter(int64_t dataset, char *out, size_t size);

/// Probes the calling thread has started so far (evidence for tests that a path forks once or never).
long long ckpt_h5_probe_count(void);

#endif
