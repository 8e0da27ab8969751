// libFuzzer's driver entry (compiler-rt FuzzerInterface.h), for executables whose `main`
// SwiftPM provides: the Swift entry point hands argc/argv and the per-input callback to it.
#ifndef CKPT_FUZZ_DRIVER_H
#define CKPT_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
#endif
