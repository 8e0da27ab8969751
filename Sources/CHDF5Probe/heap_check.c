// Global heap checks of the probe's child: libhdf5 1.10 follows variable-length string
// references into global heap collections without bounds checks, so a crafted file can make
// it read or write past a collection in a way that crashes only sometimes. Both checks here
// refuse such a file deterministically (CHILD_CORRUPT_HEAP) before libhdf5 dereferences it.
#define _GNU_SOURCE
#include "probe_internal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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
int ckpt_corrupt_global_heap(const char *path) {
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
                if (idx == 0 || !heap_object_exists(at, idx)) _exit(CHILD_CORRUPT_HEAP);
            }
        }
    }
    return vlen_conversion(src, dst, cdata, nelmts, buf_stride, bkg_stride, buf, bkg, dxpl);
}

// libhdf5 keeps variable-length strings as a kind of its VLEN class internally, and one soft
// conversion serves every VLEN pair: found through two VLEN sequence types, and replaced for
// all VLEN pairs (existing paths included) by registering over the same classes.
void ckpt_check_vlen_references(void) {
    hid_t a = H5Tvlen_create(H5T_NATIVE_INT), b = H5Tvlen_create(H5T_NATIVE_LLONG);
    H5T_cdata_t *cdata = NULL;
    if (a >= 0 && b >= 0 && (vlen_conversion = H5Tfind(a, b, &cdata)) != NULL)
        H5Tregister(H5T_PERS_SOFT, "ckpt-checked-vlen", a, b, checked_vlen_conversion);
    if (a >= 0) H5Tclose(a);
    if (b >= 0) H5Tclose(b);
}
