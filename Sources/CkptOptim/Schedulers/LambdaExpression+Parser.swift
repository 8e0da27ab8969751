/// Recursive descent over Python's expression grammar (python.gram), restricted to the
/// supported forms, one function per precedence level:
///
///     expression  := disjunction ['if' disjunction 'else' expression]
///     disjunction := conjunction ('or' conjunction)*
///     conjunction := inversion ('and' inversion)*
///     inversion   := 'not' inversion | comparison
///     comparison  := sum (('<' | '<=' | '>' | '>=' | '==' | '!=') sum)*
///     sum         := term (('+' | '-') term)*
///     term        := factor (('*' | '/' | '//' | '%') factor)*
///     factor      := ('-' | '+') factor | power
///     power       := primary ['**' factor]
///     primary     := NUMBER | 'True' | 'False' | 'epoch' | 'pi' | 'math' '.' NAME
///                  | FUNCTION '(' [expression (',' expression)* [',']] ')' | '(' expression ')'
extension LambdaExpression {
    struct Parser {
        /// Python's own parser stops at 200 nested parentheses; real lambdas nest a few levels.
        static let maxDepth = 100

        let source: String
        let tokens: [Token]
        var at = 0
        var depth = 0

        init(_ source: String) throws {
            self.source = source
            tokens = try Lexer.tokens(source)
        }

        var token: Token { tokens[at] }

        /// Never moves past the final `.end` token.
        mutating func advance() { if at < tokens.count - 1 { at += 1 } }

        func error(_ message: String, _ t: Token) -> SchedulerError {
            LambdaExpression.syntaxError(source, message, column: t.column)
        }

        mutating func accept(_ symbol: String) -> Bool {
            guard token.kind == .symbol(symbol) else { return false }
            advance()
            return true
        }

        mutating func accept(keyword: String) -> Bool {
            guard token.kind == .name(keyword) else { return false }
            advance()
            return true
        }

        mutating func parse() throws -> Node {
            let n = try expression()
            guard token.kind == .end else { throw unexpected(token) }
            return n
        }

        /// Every recursion but the top one goes through here: parentheses, call arguments,
        /// `else` branches, `not`, unary signs and exponents.
        mutating func nested(_ parse: (inout Parser) throws -> Node) throws -> Node {
            depth += 1
            defer { depth -= 1 }
            if depth > Self.maxDepth { throw error("expression nested too deeply (more than \(Self.maxDepth) levels)", token) }
            return try parse(&self)
        }

        mutating func expression() throws -> Node {
            let body = try disjunction()
            guard accept(keyword: "if") else { return body }
            let test = try disjunction()
            guard accept(keyword: "else") else {
                throw error("expected 'else' after the condition of 'if', found \(token.quoted)", token)
            }
            return .conditional(then: body, test: test, orElse: try nested { try $0.expression() })
        }

        mutating func disjunction() throws -> Node {
            var lhs = try conjunction()
            while accept(keyword: "or") { lhs = .or(lhs, try conjunction()) }
            return lhs
        }

        mutating func conjunction() throws -> Node {
            var lhs = try inversion()
            while accept(keyword: "and") { lhs = .and(lhs, try inversion()) }
            return lhs
        }

        mutating func inversion() throws -> Node {
            guard accept(keyword: "not") else { return try comparison() }
            return .not(try nested { try $0.inversion() })
        }

        mutating func comparison() throws -> Node {
            let first = try sum()
            var rest: [Comparison] = []
            while case .symbol(let s) = token.kind, let op = CompareOp(rawValue: s) {
                advance()
                rest.append(Comparison(op: op, rhs: try sum()))
            }
            if token.kind == .name("in") || token.kind == .name("is") {
                throw error("unsupported operator \(token.quoted) (the comparisons are < <= > >= == !=)", token)
            }
            return rest.isEmpty ? first : .compare(first, rest)
        }

        mutating func sum() throws -> Node {
            var lhs = try term()
            while true {
                if accept("+") { lhs = .binary(.add, lhs, try term()) }
                else if accept("-") { lhs = .binary(.subtract, lhs, try term()) }
                else { return lhs }
            }
        }

        mutating func term() throws -> Node {
            var lhs = try factor()
            while case .symbol(let s) = token.kind, let op = BinaryOp(rawValue: s), op != .add, op != .subtract, op != .power {
                advance()
                lhs = .binary(op, lhs, try factor())
            }
            return lhs
        }

        mutating func factor() throws -> Node {
            if accept("-") { return .negate(try nested { try $0.factor() }) }
            if accept("+") { return .plus(try nested { try $0.factor() }) }
            return try power()
        }

        mutating func power() throws -> Node {
            let base = try primary()
            if accept("**") { return .binary(.power, base, try nested { try $0.factor() }) }
            return base
        }

        mutating func primary() throws -> Node {
            let t = token
            let node: Node
            switch t.kind {
            case .number(let v):
                advance()
                node = .literal(v)
            case .symbol("("):
                advance()
                let inner = try nested { try $0.expression() }
                guard accept(")") else {
                    throw error("expected ')' to close the '(' at column \(t.column), found \(token.quoted)", token)
                }
                node = inner
            case .name(let name):
                advance()
                node = try named(name, t)
            default:
                throw unexpected(t)
            }
            if token.kind == .symbol("(") {
                throw error("\(t.quoted) cannot be called (the functions are \(functionList))", token)
            }
            return node
        }

        /// An operand that starts with a name: a variable, constant, keyword or call.
        mutating func named(_ name: String, _ t: Token) throws -> Node {
            switch name {
            case "epoch": return .epoch
            case "True": return .literal(.bool(true))
            case "False": return .literal(.bool(false))
            case "pi": return .literal(.float(Double.pi))
            case "math": return try mathAttribute(t)
            case "lambda":
                throw error("write only the lambda's body: the expression after 'lambda epoch:'", t)
            case "if", "else", "and", "or", "not", "in", "is":
                throw unexpected(t)
            default:
                guard let f = Function(rawValue: name) else {
                    throw error("unknown name '\(name)' (the names are epoch, True, False, pi, math.pi, math.e and the functions \(functionList))", t)
                }
                return try call(f, t)
            }
        }

        /// `math.pi`, `math.e` or `math.<function>(...)`.
        mutating func mathAttribute(_ t: Token) throws -> Node {
            guard accept(".") else { throw error("expected '.' after 'math', found \(token.quoted)", token) }
            let attr = token
            guard case .name(let name) = attr.kind else {
                throw error("expected a name after 'math.', found \(attr.quoted)", attr)
            }
            advance()
            switch name {
            case "pi": return .literal(.float(Double.pi))
            // math.e: the double nearest to e, as CPython's Py_MATH_E.
            case "e": return .literal(.float(2.718281828459045))
            default:
                guard let f = Function(rawValue: name), f.inMath else {
                    throw error("unsupported 'math.\(name)' (supported: math.pi, math.e, "
                        + Function.allCases.filter(\.inMath).map { "math.\($0.rawValue)" }.joined(separator: ", ") + ")", attr)
                }
                return try call(f, attr)
            }
        }

        mutating func call(_ f: Function, _ t: Token) throws -> Node {
            guard accept("(") else { throw error("expected '(' after '\(f.rawValue)', found \(token.quoted)", token) }
            var args: [Node] = []
            if !accept(")") {
                repeat {
                    if token.kind == .symbol(")") { break }  // a trailing comma, as Python allows
                    args.append(try nested { try $0.expression() })
                } while accept(",")
                guard accept(")") else {
                    throw error("expected ',' or ')' in the arguments of \(f.rawValue)(), found \(token.quoted)", token)
                }
            }
            guard f.arity.contains(args.count) else {
                throw error("\(f.rawValue)() takes \(f.arityText), got \(args.count)", t)
            }
            return .call(f, args)
        }

        var functionList: String { Function.allCases.map(\.rawValue).joined(separator: " ") }

        /// The error for a token that cannot continue the expression here.
        func unexpected(_ t: Token) -> SchedulerError {
            switch t.kind {
            case .end: return error("unexpected end of expression", t)
            case .symbol(")"): return error("unmatched ')'", t)
            case .symbol("|"), .symbol("&"), .symbol("^"), .symbol("~"), .symbol("<<"), .symbol(">>"), .symbol("@"):
                return error("unsupported operator \(t.quoted)", t)
            case .symbol("="): return error("unexpected '=' (comparison is '==')", t)
            default: return error("unexpected \(t.quoted)", t)
            }
        }
    }
}
