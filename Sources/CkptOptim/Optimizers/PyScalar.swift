import CkptCore

/// A number in LBFGS's Python code, with Python's and PyTorch's types kept apart: a Python
/// `int` or `float` (double arithmetic) or a 0-d float32 tensor (a dot product, `1.0 / ys`).
///
/// PyTorch's type promotion decides both the rounding and what `state_dict()` holds: an
/// operation with a tensor on either side is a float32 tensor operation, the Python number
/// rounded to float32 first (a wrapped scalar); Python numbers alone compute in double.
/// `max` / `min` return one of their arguments, as Python's built-ins do.
enum PyScalar {
    case int(Int64)
    case float(Double)
    case tensor(Float)

    var double: Double {
        switch self {
        case .int(let i): Double(i)
        case .float(let d): d
        case .tensor(let f): Double(f)
        }
    }

    var float: Float { if case .tensor(let f) = self { f } else { Float(double) } }

    var isTensor: Bool { if case .tensor = self { true } else { false } }

    private static func combine(_ a: PyScalar, _ b: PyScalar, _ f: (Float, Float) -> Float,
                                _ d: (Double, Double) -> Double) -> PyScalar {
        if a.isTensor || b.isTensor { return .tensor(f(a.float, b.float)) }
        if case .int(let x) = a, case .int(let y) = b, let r = Int64(exactly: d(Double(x), Double(y))) {
            return .int(r)
        }
        return .float(d(a.double, b.double))
    }

    static func + (a: PyScalar, b: PyScalar) -> PyScalar { combine(a, b, +, +) }
    static func - (a: PyScalar, b: PyScalar) -> PyScalar { combine(a, b, -, -) }
    static func * (a: PyScalar, b: PyScalar) -> PyScalar { combine(a, b, *, *) }
    /// True division (`/` of two Python ints is a float).
    static func / (a: PyScalar, b: PyScalar) -> PyScalar {
        if a.isTensor || b.isTensor { return .tensor(a.float / b.float) }
        return .float(a.double / b.double)
    }
    static prefix func - (a: PyScalar) -> PyScalar { .int(0) - a }

    /// `a < b` as PyTorch and Python compare: in float32 when a tensor takes part.
    static func less(_ a: PyScalar, _ b: PyScalar) -> Bool {
        a.isTensor || b.isTensor ? a.float < b.float : a.double < b.double
    }

    var magnitude: PyScalar {
        switch self {
        case .int(let i): .int(i == .min ? i : Swift.abs(i))
        case .float(let d): .float(Swift.abs(d))
        case .tensor(let f): .tensor(Swift.abs(f))
        }
    }
}

func < (a: PyScalar, b: PyScalar) -> Bool { PyScalar.less(a, b) }
func > (a: PyScalar, b: PyScalar) -> Bool { PyScalar.less(b, a) }
func <= (a: PyScalar, b: PyScalar) -> Bool { !PyScalar.less(b, a) && !(a.double.isNaN || b.double.isNaN) }
func >= (a: PyScalar, b: PyScalar) -> Bool { b <= a }

/// Python's `max(a, b)`: `a` unless `b > a`.
func pyMax(_ a: PyScalar, _ b: PyScalar) -> PyScalar { b > a ? b : a }
/// Python's `min(a, b)`: `a` unless `b < a`.
func pyMin(_ a: PyScalar, _ b: PyScalar) -> PyScalar { b < a ? b : a }

extension PyScalar: ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    init(floatLiteral value: Double) { self = .float(value) }
    init(integerLiteral value: Int64) { self = .int(value) }
}

extension PyScalar {
    /// As a state-dict value: Python's int or float, or a 0-d float32 tensor.
    var stateValue: StateValue {
        switch self {
        case .int(let i): .int(i)
        case .float(let d): .double(d)
        case .tensor(let f): .tensor(.scalar(f))
        }
    }

    /// A state-dict number or 0-d (or 1-element) tensor; nil for anything else.
    init?(_ v: StateValue?) {
        switch v {
        case .int(let i)?: self = .int(i)
        case .double(let d)?: self = .float(d)
        case .bool(let b)?: self = .int(b ? 1 : 0)
        case .tensor(let t)? where t.count == 1: self = .tensor(t.floatArray()[0])
        default: return nil
        }
    }
}
