#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Python's `a % b` for ints (the result has the sign of `b`).
@inline(__always) func pyMod(_ a: Int, _ b: Int) -> Int {
    let r = a % b
    return (r != 0 && (r < 0) != (b < 0)) ? r + b : r
}

/// Python's `a // b` for ints (floor division).
@inline(__always) func pyFloorDiv(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

/// Python's `float ** float` for the finite cases schedulers use: C `pow`, as CPython's
/// `float_pow` calls it.
@inline(__always) func pyPow(_ x: Double, _ y: Double) -> Double {
    if y == 0 { return 1 }
    return pow(x, y)
}
