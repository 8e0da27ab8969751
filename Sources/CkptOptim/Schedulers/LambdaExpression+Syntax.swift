/// The parsed form of a lambda expression, and the operators and functions it may name.
extension LambdaExpression {
    indirect enum Node: Sendable {
        case literal(Value)
        case epoch
        case negate(Node)
        case plus(Node)
        case not(Node)
        case binary(BinaryOp, Node, Node)
        /// `first op1 x1 op2 x2 ...`: Python's chained comparison, each operand evaluated once.
        case compare(Node, [Comparison])
        case and(Node, Node)
        case or(Node, Node)
        /// `then if test else orElse`.
        case conditional(then: Node, test: Node, orElse: Node)
        case call(Function, [Node])
    }

    struct Comparison: Sendable {
        var op: CompareOp
        var rhs: Node
    }

    enum BinaryOp: String, Sendable {
        case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%", power = "**"
    }

    enum CompareOp: String, Sendable, CaseIterable {
        case less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">=", equal = "==", notEqual = "!="
    }

    /// The callable names: Python's builtins `min max abs` and `math`'s functions.
    enum Function: String, Sendable, CaseIterable {
        case min, max, abs, exp, log, sqrt, cos, sin, floor, ceil

        /// Python's `min(x)` iterates over `x`, so one argument (an int) is its TypeError.
        var arity: ClosedRange<Int> {
            switch self {
            case .min, .max: 2...Int.max
            case .log: 1...2
            default: 1...1
            }
        }

        var arityText: String {
            switch self {
            case .min, .max: "at least 2 arguments"
            case .log: "1 or 2 arguments"
            default: "exactly 1 argument"
            }
        }

        /// Also reachable as `math.<name>`.
        var inMath: Bool { self != .min && self != .max && self != .abs }
    }
}
