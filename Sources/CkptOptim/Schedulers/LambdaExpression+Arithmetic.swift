#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Python's arithmetic operators on int / float / bool values, with CPython's results bit for
/// bit (longobject.c, floatobject.c) and its exceptions as errors. A bool is its int; an int
/// meeting a float becomes the nearest float, as `PyLong_AsDouble` rounds.
extension LambdaExpression {
    enum Arithmetic {
        typealias Fail = (String) -> SchedulerError

        static func negate(_ v: Value, _ fail: Fail) throws -> Value {
            guard let i = v.integer else { return .float(-v.double) }
            guard i != .min else { throw overflow("-(\(i))", fail) }
            return .int(-i)
        }

        static func binary(_ op: BinaryOp, _ a: Value, _ b: Value, _ fail: Fail) throws -> Value {
            if let x = a.integer, let y = b.integer { return try intBinary(op, x, y, fail) }
            return .float(try floatBinary(op, a.double, b.double, fail))
        }

        /// Python ints are unbounded and ckpt's are 64-bit: a result that does not fit is an
        /// error rather than a wrapped or trapped value.
        static func overflow(_ what: String, _ fail: Fail) -> SchedulerError {
            fail("OverflowError: \(what) does not fit in a 64-bit int (Python's ints are unbounded, ckpt's are not; "
                + "a float operand, e.g. 2.0 instead of 2, computes in floating point)")
        }

        static func intBinary(_ op: BinaryOp, _ x: Int64, _ y: Int64, _ fail: Fail) throws -> Value {
            func checked(_ r: (partialValue: Int64, overflow: Bool)) throws -> Value {
                if r.overflow { throw overflow("\(x) \(op.rawValue) \(y)", fail) }
                return .int(r.partialValue)
            }
            switch op {
            case .add: return try checked(x.addingReportingOverflow(y))
            case .subtract: return try checked(x.subtractingReportingOverflow(y))
            case .multiply: return try checked(x.multipliedReportingOverflow(by: y))
            case .divide:
                guard y != 0 else { throw fail("ZeroDivisionError: division by zero") }
                return .float(trueDivide(x, y))
            case .floorDivide, .modulo:
                guard y != 0 else { throw fail("ZeroDivisionError: integer division or modulo by zero") }
                if y == -1 {
                    if op == .modulo { return .int(0) }
                    return try checked(Int64(0).subtractingReportingOverflow(x))
                }
                // Truncating division, then the floor's correction: the remainder takes y's sign.
                var q = x / y, m = x % y
                if m != 0 && (m < 0) != (y < 0) { q -= 1; m += y }
                return .int(op == .floorDivide ? q : m)
            case .power:
                // long_pow: a negative exponent gives float_pow(float(x), float(y)).
                if y < 0 { return .float(try floatPow(Double(x), Double(y), fail)) }
                var result: Int64 = 1, base = x, e = y
                while e > 0 {
                    if e & 1 == 1 {
                        let r = result.multipliedReportingOverflow(by: base)
                        if r.overflow { throw overflow("\(x) ** \(y)", fail) }
                        result = r.partialValue
                    }
                    e >>= 1
                    // Squared only when a later bit uses it, so its overflow is the result's.
                    if e > 0 {
                        let r = base.multipliedReportingOverflow(by: base)
                        if r.overflow { throw overflow("\(x) ** \(y)", fail) }
                        base = r.partialValue
                    }
                }
                return .int(result)
            }
        }

        /// `x / y` for ints as CPython's `long_true_divide`: the exact quotient, correctly
        /// rounded (half to even), also when an operand has more than 53 bits. `y != 0`.
        static func trueDivide(_ x: Int64, _ y: Int64) -> Double {
            let negative = (x < 0) != (y < 0)
            let a = x.magnitude, b = y.magnitude
            if a == 0 { return negative ? -0.0 : 0.0 }
            // Both exact as doubles: IEEE division is the correctly rounded quotient.
            if a <= 1 << 53 && b <= 1 << 53 { return Double(x) / Double(y) }
            // Scale a by 2**s so the integer quotient has 55 or more bits, two or more below
            // the 53 kept; folding a nonzero remainder into its last bit (a sticky bit) then
            // lets the one rounding, UInt64 -> Double, round the exact quotient correctly.
            let la = 64 - a.leadingZeroBitCount, lb = 64 - b.leadingZeroBitCount
            let s = Swift.max(0, 55 + lb - la)  // at most 118; a << s fits in 128 bits
            let high: UInt64 = s == 0 ? 0 : s >= 64 ? a << (s - 64) : a >> (64 - s)
            let low: UInt64 = s >= 64 ? 0 : a << s
            let (q, r) = b.dividingFullWidth((high, low))  // q < 2**64: high < b by the choice of s
            let m = Double(sign: .plus, exponent: -s, significand: Double(r == 0 ? q : q | 1))
            return negative ? -m : m
        }

        static func floatBinary(_ op: BinaryOp, _ x: Double, _ y: Double, _ fail: Fail) throws -> Double {
            switch op {
            case .add: return x + y
            case .subtract: return x - y
            case .multiply: return x * y
            case .divide:
                guard y != 0 else { throw fail("ZeroDivisionError: float division by zero") }
                return x / y
            case .modulo:
                // float_rem
                guard y != 0 else { throw fail("ZeroDivisionError: float modulo") }
                var mod = fmod(x, y)
                if mod != 0 { if (y < 0) != (mod < 0) { mod += y } } else { mod = copysign(0.0, y) }
                return mod
            case .floorDivide:
                // float_floor_div (_float_div_mod)
                guard y != 0 else { throw fail("ZeroDivisionError: float floor division by zero") }
                let mod = fmod(x, y)
                var div = (x - mod) / y
                if mod != 0 && (y < 0) != (mod < 0) { div -= 1.0 }
                guard div != 0 else { return copysign(0.0, x / y) }
                var floordiv = floor(div)
                if div - floordiv > 0.5 { floordiv += 1.0 }
                return floordiv
            case .power:
                return try floatPow(x, y, fail)
            }
        }

        /// CPython's `float_pow`: its special cases, then C `pow` on the magnitude. A negative
        /// base with a fractional exponent gives a complex number in Python, an error here.
        static func floatPow(_ x: Double, _ y: Double, _ fail: Fail) throws -> Double {
            func isOddInteger(_ v: Double) -> Bool { fmod(Swift.abs(v), 2.0) == 1.0 }
            if y == 0 { return 1.0 }
            if x.isNaN { return x }
            if y.isNaN { return x == 1.0 ? 1.0 : y }
            if y.isInfinite {
                let ax = Swift.abs(x)
                if ax == 1.0 { return 1.0 }
                return (y > 0) == (ax > 1.0) ? Swift.abs(y) : 0.0
            }
            if x.isInfinite {
                if y > 0 { return isOddInteger(y) ? x : Swift.abs(x) }
                return isOddInteger(y) ? copysign(0.0, x) : 0.0
            }
            if x == 0 {
                if y < 0 { throw fail("ZeroDivisionError: 0.0 cannot be raised to a negative power") }
                return isOddInteger(y) ? x : 0.0
            }
            var base = x, negate = false
            if x < 0 {
                guard y == floor(y) else {
                    throw fail("a negative number raised to a fractional power: \(x) ** \(y) is a complex number in Python")
                }
                base = -x
                negate = isOddInteger(y)
            }
            if base == 1.0 { return negate ? -1.0 : 1.0 }
            var r = pow(base, y)
            if negate { r = -r }
            // pow's ERANGE: overflow is Python's OverflowError, underflow is not an error.
            if r.isInfinite { throw fail("OverflowError: (34, 'Numerical result out of range')") }
            return r
        }
    }
}
