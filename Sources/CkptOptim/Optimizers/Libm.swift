#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// C's `pow` on doubles, as PyTorch's Python-float arithmetic (`beta ** step`, `0.96 ** x`)
/// computes it: the one place this module names the C library, so the optimizer files
/// need not import it.
@inline(__always) func pow(_ x: Double, _ y: Double) -> Double {
    #if canImport(Glibc)
    Glibc.pow(x, y)
    #else
    Darwin.pow(x, y)
    #endif
}
