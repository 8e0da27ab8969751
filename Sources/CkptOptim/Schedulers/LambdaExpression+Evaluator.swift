/// Walks the parsed expression for one epoch in CPython's order: operands left to right, the
/// condition of `if` before its branches, and `and` / `or` / a chained comparison stopping as
/// soon as Python stops, so `1 / epoch if epoch else 1.0` never divides by zero.
extension LambdaExpression {
    struct Evaluator {
        let epoch: Int64
        let source: String

        func fail(_ message: String) -> SchedulerError {
            SchedulerError("lr_lambda \"\(source)\" at epoch \(epoch): \(message)")
        }

        func eval(_ node: Node) throws -> Value {
            switch node {
            case .literal(let v): return v
            case .epoch: return .int(epoch)
            case .negate(let n): return try Arithmetic.negate(try eval(n), fail)
            case .plus(let n): return try eval(n).promoted
            case .not(let n): return .bool(!(try eval(n)).isTruthy)
            case .binary(let op, let l, let r):
                let a = try eval(l)
                return try Arithmetic.binary(op, a, try eval(r), fail)
            case .compare(let first, let rest):
                var lhs = try eval(first)
                for c in rest {
                    let rhs = try eval(c.rhs)
                    if !Comparing.compare(c.op, lhs, rhs) { return .bool(false) }
                    lhs = rhs
                }
                return .bool(true)
            case .and(let l, let r):
                let a = try eval(l)
                return a.isTruthy ? try eval(r) : a
            case .or(let l, let r):
                let a = try eval(l)
                return a.isTruthy ? a : try eval(r)
            case .conditional(let then, let test, let orElse):
                return try eval(test).isTruthy ? try eval(then) : try eval(orElse)
            case .call(let f, let args):
                return try Functions.call(f, try args.map(eval), fail)
            }
        }
    }
}

extension LambdaExpression.Value {
    /// Python's `bool(x)`: zero (0, 0.0, -0.0, False) is false; NaN is true.
    var isTruthy: Bool {
        switch self {
        case .int(let i): i != 0
        case .float(let d): d != 0
        case .bool(let b): b
        }
    }

    /// A bool as the int it is in arithmetic (`True + 1 == 2`); other values unchanged.
    var promoted: Self {
        if case .bool(let b) = self { return .int(b ? 1 : 0) }
        return self
    }

    /// The int an int or bool is in arithmetic; nil for a float.
    var integer: Int64? {
        switch self {
        case .int(let i): i
        case .bool(let b): b ? 1 : 0
        case .float: nil
        }
    }
}
