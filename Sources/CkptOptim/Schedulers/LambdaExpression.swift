#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A learning-rate multiplier written as a Python expression of `epoch`, such as
/// `"0.95 ** epoch"` or `"min(1.0, (epoch + 1) / 10)"`, evaluated with Python's semantics so
/// that LambdaLR / MultiplicativeLR give PyTorch's bits for the same `lambda epoch: ...`.
///
/// Grammar: numbers, `epoch`, `pi`, `+ - * / // % **`, unary `-`/`+`, parentheses and the
/// functions `min max abs exp log sqrt cos sin floor ceil`. Ints stay ints (`int ** int`
/// with a non-negative exponent, `//`, `%` are exact; `/` gives a float; ints overflowing
/// 64 bits are an error); float powers use C `pow` as CPython's `float_pow` does; `//` and
/// `%` on floats follow CPython's `float_floor_div` / `float_rem`. Nothing else is
/// accepted, so evaluating a config's expression cannot run code.
public struct LambdaExpression: Sendable, Equatable {
    public let source: String
    let root: Node

    public static func == (a: LambdaExpression, b: LambdaExpression) -> Bool { a.source == b.source }

    /// Parses `source`; throws a `SchedulerError` naming the position of a syntax error.
    public init(_ source: String) throws {
        self.source = source
        var p = Parser(source)
        root = try p.parseAll()
    }

    /// The value for `epoch` as a double (an int result converted as Python's float() does).
    public func evaluate(epoch: Int) throws -> Double {
        try evaluateValue(epoch: epoch).double
    }

    /// The value with its Python type.
    public func evaluateValue(epoch: Int) throws -> Value {
        try root.eval(epoch: Int64(epoch), source: source)
    }

    /// A Python `int` or `float`.
    public enum Value: Equatable, Sendable {
        case int(Int64)
        case float(Double)
        public var double: Double {
            switch self {
            case .int(let i): Double(i)
            case .float(let d): d
            }
        }
    }

    indirect enum Node: Sendable {
        case number(Value)
        case epoch
        case neg(Node)
        case binary(Character, Node, Node)  // "+-*/%", "f" floor div, "p" power
        case call(String, [Node])
    }
}

extension LambdaExpression {
    struct Parser {
        let chars: [Character]
        let source: String
        var i = 0

        init(_ s: String) { source = s; chars = Array(s) }

        func error(_ m: String) -> SchedulerError {
            SchedulerError("lr_lambda \"\(source)\": \(m) at column \(i + 1)")
        }

        mutating func skip() { while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 } }

        mutating func peek(_ s: String) -> Bool {
            skip()
            let a = Array(s)
            guard i + a.count <= chars.count else { return false }
            return Array(chars[i..<i + a.count]) == a
        }

        mutating func eat(_ s: String) -> Bool {
            guard peek(s) else { return false }
            i += s.count
            return true
        }

        mutating func parseAll() throws -> Node {
            let n = try expr()
            skip()
            guard i == chars.count else { throw error("unexpected '\(chars[i])'") }
            return n
        }

        mutating func expr() throws -> Node {
            var lhs = try term()
            while true {
                if eat("+") { lhs = .binary("+", lhs, try term()) }
                else if eat("-") { lhs = .binary("-", lhs, try term()) }
                else { return lhs }
            }
        }

        mutating func term() throws -> Node {
            var lhs = try factor()
            while true {
                if peek("**") { return lhs }
                if eat("*") { lhs = .binary("*", lhs, try factor()) }
                else if eat("//") { lhs = .binary("f", lhs, try factor()) }
                else if eat("/") { lhs = .binary("/", lhs, try factor()) }
                else if eat("%") { lhs = .binary("%", lhs, try factor()) }
                else { return lhs }
            }
        }

        mutating func factor() throws -> Node {
            if eat("-") { return .neg(try factor()) }
            if eat("+") { return try factor() }
            return try power()
        }

        mutating func power() throws -> Node {
            let base = try atom()
            if eat("**") { return .binary("p", base, try factor()) }
            return base
        }

        mutating func atom() throws -> Node {
            skip()
            guard i < chars.count else { throw error("unexpected end of expression") }
            let c = chars[i]
            if c == "(" {
                i += 1
                let n = try expr()
                guard eat(")") else { throw error("expected ')'") }
                return n
            }
            if c.isNumber || c == "." { return try number() }
            if c.isLetter || c == "_" {
                let start = i
                while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" { i += 1 }
                let name = String(chars[start..<i])
                if eat("(") {
                    var args: [Node] = []
                    if !eat(")") {
                        repeat { args.append(try expr()) } while eat(",")
                        guard eat(")") else { throw error("expected ')'") }
                    }
                    let arity: ClosedRange<Int>
                    switch name {
                    case "min", "max": arity = 1...64
                    case "log": arity = 1...2
                    case "abs", "exp", "sqrt", "cos", "sin", "floor", "ceil": arity = 1...1
                    default: i = start; throw error("unknown function '\(name)'")
                    }
                    guard arity.contains(args.count), !(args.count == 1 && (name == "min" || name == "max")) else {
                        throw error("wrong number of arguments to \(name)()")
                    }
                    return .call(name, args)
                }
                switch name {
                case "epoch": return .epoch
                case "pi": return .number(.float(Double.pi))
                default: i = start; throw error("unknown name '\(name)' (only epoch and pi)")
                }
            }
            throw error("unexpected '\(c)'")
        }

        mutating func number() throws -> Node {
            let start = i
            var isFloat = false
            while i < chars.count, chars[i].isNumber || chars[i] == "." || chars[i] == "_" {
                if chars[i] == "." { isFloat = true }
                i += 1
            }
            if i < chars.count, chars[i] == "e" || chars[i] == "E" {
                isFloat = true
                i += 1
                if i < chars.count, chars[i] == "+" || chars[i] == "-" { i += 1 }
                while i < chars.count, chars[i].isNumber { i += 1 }
            }
            let text = String(chars[start..<i]).replacingOccurrences(of: "_", with: "")
            if isFloat {
                guard let d = Double(text) else { i = start; throw error("invalid number '\(text)'") }
                return .number(.float(d))
            }
            guard let v = Int64(text) else { i = start; throw error("invalid integer '\(text)'") }
            return .number(.int(v))
        }
    }
}

private extension String {
    func replacingOccurrences(of a: String, with b: String) -> String {
        split(separator: Character(a), omittingEmptySubsequences: false).joined(separator: b)
    }
}

extension LambdaExpression.Node {
    typealias Value = LambdaExpression.Value

    func eval(epoch: Int64, source: String) throws -> Value {
        func fail(_ m: String) -> SchedulerError { SchedulerError("lr_lambda \"\(source)\" at epoch \(epoch): \(m)") }
        switch self {
        case .number(let v): return v
        case .epoch: return .int(epoch)
        case .neg(let n):
            switch try n.eval(epoch: epoch, source: source) {
            case .int(let i):
                guard i != .min else { throw fail("integer overflow") }
                return .int(-i)
            case .float(let d): return .float(-d)
            }
        case .binary(let op, let l, let r):
            let a = try l.eval(epoch: epoch, source: source)
            let b = try r.eval(epoch: epoch, source: source)
            return try Self.binary(op, a, b, fail)
        case .call(let name, let args):
            let vals = try args.map { try $0.eval(epoch: epoch, source: source) }
            return try Self.call(name, vals, fail)
        }
    }

    static func binary(_ op: Character, _ a: Value, _ b: Value, _ fail: (String) -> SchedulerError) throws -> Value {
        if case .int(let x) = a, case .int(let y) = b {
            switch op {
            case "+":
                let (r, o) = x.addingReportingOverflow(y); if o { throw fail("integer overflow") }; return .int(r)
            case "-":
                let (r, o) = x.subtractingReportingOverflow(y); if o { throw fail("integer overflow") }; return .int(r)
            case "*":
                let (r, o) = x.multipliedReportingOverflow(by: y); if o { throw fail("integer overflow") }; return .int(r)
            case "/":
                guard y != 0 else { throw fail("ZeroDivisionError: division by zero") }
                return .float(Double(x) / Double(y))
            case "f", "%":
                guard y != 0 else { throw fail("ZeroDivisionError: integer division or modulo by zero") }
                guard !(x == .min && y == -1) else { throw fail("integer overflow") }
                var q = x / y, m = x % y
                if m != 0 && (m < 0) != (y < 0) { q -= 1; m += y }
                return .int(op == "f" ? q : m)
            case "p":
                if y < 0 { return .float(try floatPow(Double(x), Double(y), fail)) }
                var result: Int64 = 1, base = x, e = y
                while e > 0 {
                    if e & 1 == 1 {
                        let (r, o) = result.multipliedReportingOverflow(by: base); if o { throw fail("integer overflow") }
                        result = r
                    }
                    e >>= 1
                    if e > 0 {
                        let (r, o) = base.multipliedReportingOverflow(by: base); if o { throw fail("integer overflow") }
                        base = r
                    }
                }
                return .int(result)
            default: break
            }
        }
        let x = a.double, y = b.double
        switch op {
        case "+": return .float(x + y)
        case "-": return .float(x - y)
        case "*": return .float(x * y)
        case "/":
            guard y != 0 else { throw fail("ZeroDivisionError: float division by zero") }
            return .float(x / y)
        case "%":
            guard y != 0 else { throw fail("ZeroDivisionError: float modulo") }
            var mod = fmod(x, y)
            if mod != 0 { if (y < 0) != (mod < 0) { mod += y } } else { mod = copysign(0.0, y) }
            return .float(mod)
        case "f":
            guard y != 0 else { throw fail("ZeroDivisionError: float floor division by zero") }
            var mod = fmod(x, y)
            var div = (x - mod) / y
            if mod != 0 {
                if (y < 0) != (mod < 0) { mod += y; div -= 1.0 }
            }
            var floordiv: Double
            if div != 0 {
                floordiv = floor(div)
                if div - floordiv > 0.5 { floordiv += 1.0 }
            } else {
                floordiv = copysign(0.0, x / y)
            }
            return .float(floordiv)
        case "p": return .float(try floatPow(x, y, fail))
        default: throw fail("unknown operator")
        }
    }

    /// CPython's `float_pow` for finite operands: C `pow` with Python's errors.
    static func floatPow(_ x: Double, _ y: Double, _ fail: (String) -> SchedulerError) throws -> Double {
        if y == 0 { return 1.0 }
        if x.isNaN { return x }
        if y.isNaN { return x == 1.0 ? 1.0 : y }
        if x == 0 && y < 0 { throw fail("ZeroDivisionError: 0.0 cannot be raised to a negative power") }
        if x < 0 && y != floor(y) && y.isFinite { throw fail("ValueError: negative number raised to a fractional power") }
        let r = pow(x, y)
        if r.isInfinite && x.isFinite && y.isFinite { throw fail("OverflowError: (34, 'Numerical result out of range')") }
        return r
    }

    static func call(_ name: String, _ args: [Value], _ fail: (String) -> SchedulerError) throws -> Value {
        func less(_ a: Value, _ b: Value) -> Bool {
            if case .int(let x) = a, case .int(let y) = b { return x < y }
            return a.double < b.double
        }
        switch name {
        case "min":
            var m = args[0]
            for v in args.dropFirst() where less(v, m) { m = v }
            return m
        case "max":
            var m = args[0]
            for v in args.dropFirst() where less(m, v) { m = v }
            return m
        case "abs":
            switch args[0] {
            case .int(let i):
                guard i != .min else { throw fail("integer overflow") }
                return .int(Swift.abs(i))
            case .float(let d): return .float(Swift.abs(d))
            }
        case "floor", "ceil":
            if case .int = args[0] { return args[0] }
            let d = args[0].double
            guard d.isFinite else { throw fail("cannot convert float \(d) to integer") }
            let r = name == "floor" ? floor(d) : ceil(d)
            guard let i = Int64(exactly: r) else { throw fail("integer overflow") }
            return .int(i)
        default:
            let x = args[0].double
            switch name {
            case "exp":
                let r = exp(x)
                if r.isInfinite && x.isFinite { throw fail("OverflowError: math range error") }
                return .float(r)
            case "sqrt":
                guard x >= 0 || x.isNaN else { throw fail("ValueError: math domain error") }
                return .float(sqrt(x))
            case "cos": return .float(cos(x))
            case "sin": return .float(sin(x))
            case "log":
                guard x > 0 else { throw fail("ValueError: math domain error") }
                if args.count == 2 {
                    let b = args[1].double
                    guard b > 0 else { throw fail("ValueError: math domain error") }
                    let den = log(b)
                    guard den != 0 else { throw fail("ZeroDivisionError: float division by zero") }
                    return .float(log(x) / den)
                }
                return .float(log(x))
            default: throw fail("unknown function \(name)")
            }
        }
    }
}
