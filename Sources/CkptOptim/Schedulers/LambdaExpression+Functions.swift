#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The callable names with CPython's results and errors: builtins `min`, `max`, `abs`, and
/// `math`'s functions (mathmodule.c: `math_1`'s error rules, `loghelper`, `math_floor`).
extension LambdaExpression {
    enum Functions {
        typealias Fail = (String) -> SchedulerError

        static func call(_ f: Function, _ args: [Value], _ fail: Fail) throws -> Value {
            switch f {
            case .min, .max:
                // Python keeps the first of equal items, replacing only when `item < kept`
                // (min) or `item > kept` (max), so a NaN never replaces anything.
                var kept = args[0]
                for v in args.dropFirst() where Comparing.compare(f == .min ? .less : .greater, v, kept) { kept = v }
                return kept
            case .abs:
                guard let i = args[0].integer else { return .float(Swift.abs(args[0].double)) }
                guard i != .min else { throw Arithmetic.overflow("abs(\(i))", fail) }
                return .int(Swift.abs(i))
            case .floor, .ceil:
                if let i = args[0].integer { return .int(i) }
                let d = args[0].double
                if d.isNaN { throw fail("ValueError: cannot convert float NaN to integer") }
                if d.isInfinite { throw fail("OverflowError: cannot convert float infinity to integer") }
                let r = f == .floor ? floor(d) : ceil(d)
                guard let i = Int64(exactly: r) else { throw Arithmetic.overflow("\(f.rawValue)(\(d))", fail) }
                return .int(i)
            case .exp: return .float(try math1(exp, args[0].double, canOverflow: true, fail))
            case .sqrt: return .float(try math1(sqrt, args[0].double, canOverflow: false, fail))
            case .cos: return .float(try math1(cos, args[0].double, canOverflow: false, fail))
            case .sin: return .float(try math1(sin, args[0].double, canOverflow: false, fail))
            case .log:
                let num = try logOf(args[0], fail)
                guard args.count == 2 else { return .float(num) }
                let den = try logOf(args[1], fail)
                guard den != 0 else { throw fail("ZeroDivisionError: float division by zero") }
                return .float(num / den)
            }
        }

        /// CPython's `math_1`: a NaN from a non-NaN argument is a domain error (`sqrt(-1)`,
        /// `cos(inf)`), an infinity from a finite one a range error.
        static func math1(_ fn: (Double) -> Double, _ x: Double, canOverflow: Bool, _ fail: Fail) throws -> Double {
            let r = fn(x)
            if r.isNaN && !x.isNaN { throw fail("ValueError: math domain error") }
            if r.isInfinite && x.isFinite {
                throw fail(canOverflow ? "OverflowError: math range error" : "ValueError: math domain error")
            }
            return r
        }

        /// CPython's `loghelper` + `m_log`: ints must be positive; log(nan) is nan, log(inf)
        /// is inf, zero and negatives (and -inf) are domain errors.
        static func logOf(_ v: Value, _ fail: Fail) throws -> Double {
            let x = v.double
            if let i = v.integer, i <= 0 { throw fail("ValueError: math domain error") }
            if x.isNaN || x == .infinity { return x }
            guard x > 0 else { throw fail("ValueError: math domain error") }
            return log(x)
        }
    }
}
