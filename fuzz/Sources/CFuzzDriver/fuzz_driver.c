// Declarations only (fuzz_driver.h); libFuzzer provides the definition.
