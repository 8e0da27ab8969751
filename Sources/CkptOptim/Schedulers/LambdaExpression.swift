/// A learning-rate multiplier written as the body of a Python `lambda epoch: ...`, such as
/// `"0.95 ** epoch"` or `"(epoch + 1) / 5 if epoch < 5 else 0.95 ** (epoch - 5)"`, evaluated
/// with CPython's semantics so that LambdaLR / MultiplicativeLR give PyTorch's bits for the
/// same lambda.
///
/// The language is a subset of Python's expressions, with Python's precedence (loosest
/// first): `x if c else y`, `or`, `and`, `not`, comparisons `< <= > >= == !=` (chained as
/// in `0 < epoch < 5`), `+ -`, `* / // %`, unary `- +`, `**` (right-associative, binding
/// tighter than a unary minus on its left), then calls and parentheses. Operands: `epoch`,
/// decimal int and float literals, `True`, `False`, `pi`, and the calls `min max abs exp log
/// sqrt cos sin floor ceil` (the last seven also as `math.name`, with `math.pi`, `math.e`).
///
/// Values keep Python's types: int, float and bool (an int in arithmetic). `/` is true
/// division (int / int correctly rounded, as CPython's), `//` and `%` floor with Python's
/// signs, `int ** int` stays an int for a non-negative exponent, ints and floats compare
/// exactly, `and` / `or` return an operand and only evaluate what Python evaluates. Ints are
/// 64-bit: a result Python would hold as a larger int is an error, never a wrapped value.
/// Python's exceptions (ZeroDivisionError, ValueError, OverflowError, a complex result) are
/// `SchedulerError`s naming the expression and the epoch. Nothing else is accepted, so a
/// config's expression cannot run code.
public struct LambdaExpression: Sendable, Equatable {
    public let source: String
    let root: Node

    public static func == (a: LambdaExpression, b: LambdaExpression) -> Bool { a.source == b.source }

    /// Parses `source`; throws a `SchedulerError` naming the column and the token of a
    /// syntax error.
    public init(_ source: String) throws {
        self.source = source
        var parser = try Parser(source)
        root = try parser.parse()
    }

    /// The value for `epoch` as a double (an int or bool converted as Python's float() does).
    public func evaluate(epoch: Int) throws -> Double {
        try evaluateValue(epoch: epoch).double
    }

    /// The value with its Python type.
    public func evaluateValue(epoch: Int) throws -> Value {
        try Evaluator(epoch: Int64(epoch), source: source).eval(root)
    }

    /// A Python `int`, `float` or `bool`.
    public enum Value: Equatable, Sendable {
        case int(Int64)
        case float(Double)
        case bool(Bool)

        public var double: Double {
            switch self {
            case .int(let i): Double(i)
            case .float(let d): d
            case .bool(let b): b ? 1 : 0
            }
        }
    }
}
