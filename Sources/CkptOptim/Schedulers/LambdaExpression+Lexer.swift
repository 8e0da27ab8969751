/// Splits a lambda expression into tokens with Python's rules for names, decimal literals
/// and operators. Columns count Unicode scalars from 1, so an error can point at its token.
extension LambdaExpression {
    struct Token: Sendable {
        enum Kind: Equatable, Sendable {
            case number(Value)
            /// A name or keyword (`epoch`, `if`, `True`, ...).
            case name(String)
            /// An operator or punctuation (`**`, `(`, ...).
            case symbol(String)
            case end
        }

        var kind: Kind
        var text: String
        var column: Int

        /// How a message names it: `'else'`, `'**'` or `end of expression`.
        var quoted: String { kind == .end ? "end of expression" : "'\(text)'" }
    }

    /// The syntax error for `source`, pointing at `column`.
    static func syntaxError(_ source: String, _ message: String, column: Int) -> SchedulerError {
        SchedulerError("lr_lambda \"\(source)\": \(message) at column \(column)")
    }

    enum Lexer {
        /// Far above any real schedule (the longest recipes are ~40 tokens); bounds the
        /// parser's and evaluator's recursion for an expression read from a hostile file.
        static let maxTokens = 512

        /// Python's operators, longest first so `**` is not read as two `*`. The bitwise ones
        /// are recognised only so the parser can say they are unsupported.
        static let symbols = ["**", "//", "<=", ">=", "==", "!=", "<<", ">>",
                              "+", "-", "*", "/", "%", "<", ">", "(", ")", ",", ".",
                              "|", "&", "^", "~", "@", "=", ":", "[", "]", "{", "}", ";"]

        static func tokens(_ source: String) throws -> [Token] {
            let s = Array(source.unicodeScalars)
            func fail(_ m: String, _ at: Int) -> SchedulerError { syntaxError(source, m, column: at + 1) }
            var out: [Token] = []
            var i = 0
            while i < s.count {
                let c = s[i]
                if c == " " || c == "\t" { i += 1; continue }
                let start = i
                if isDigit(c) || (c == "." && i + 1 < s.count && isDigit(s[i + 1])) {
                    out.append(try number(s, &i, fail))
                } else if isNameStart(c) {
                    while i < s.count, isNameChar(s[i]) { i += 1 }
                    let name = text(s, start, i)
                    out.append(Token(kind: .name(name), text: name, column: start + 1))
                } else if let sym = symbols.first(where: { matches(s, i, $0) }) {
                    i += sym.unicodeScalars.count
                    out.append(Token(kind: .symbol(sym), text: sym, column: start + 1))
                } else {
                    throw fail("unexpected character \(describe(c))", i)
                }
                if out.count > maxTokens { throw fail("expression too long (more than \(maxTokens) tokens)", start) }
            }
            out.append(Token(kind: .end, text: "", column: s.count + 1))
            return out
        }

        /// A decimal literal: `digits`, `digits.digits`, `.digits`, `digits.`, each with an
        /// optional exponent, `_` allowed between digits. Int literals must fit in 64 bits.
        static func number(_ s: [Unicode.Scalar], _ i: inout Int, _ fail: (String, Int) -> SchedulerError) throws -> Token {
            let start = i
            var isFloat = false
            func digits() -> Bool {
                guard i < s.count, isDigit(s[i]) else { return false }
                while i < s.count {
                    if isDigit(s[i]) { i += 1 }
                    else if s[i] == "_", i + 1 < s.count, isDigit(s[i + 1]) { i += 2 }
                    else { break }
                }
                return true
            }
            _ = digits()
            if i < s.count, s[i] == "." { isFloat = true; i += 1; _ = digits() }
            if i < s.count, s[i] == "e" || s[i] == "E" {
                i += 1
                if i < s.count, s[i] == "+" || s[i] == "-" { i += 1 }
                guard digits() else { return try invalid(s, start, &i, fail) }
                isFloat = true
            }
            // Python reads `1if`, `0x10`, `1_` or `1.2.3` as one bad literal.
            if i < s.count, isNameChar(s[i]) || s[i] == "." { return try invalid(s, start, &i, fail) }
            let literal = text(s, start, i)
            let digitsOnly = literal.filter { $0 != "_" }
            let token = { (v: Value) in Token(kind: .number(v), text: literal, column: start + 1) }
            if isFloat {
                // Swift's Double(String) rounds correctly, as CPython's float parser does
                // (and gives inf for 1e400, as Python does).
                guard let d = Double(digitsOnly) else { throw fail("invalid float literal '\(literal)'", start) }
                return token(.float(d))
            }
            if digitsOnly.first == "0", digitsOnly.contains(where: { $0 != "0" }) {
                throw fail("leading zeros in decimal integer literals are not permitted: '\(literal)'", start)
            }
            guard let v = Int64(digitsOnly) else {
                throw fail("integer literal '\(literal)' does not fit in 64 bits (write it as a float, e.g. '\(digitsOnly).0')", start)
            }
            return token(.int(v))
        }

        static func invalid(_ s: [Unicode.Scalar], _ start: Int, _ i: inout Int,
                            _ fail: (String, Int) -> SchedulerError) throws -> Token {
            while i < s.count, isNameChar(s[i]) || s[i] == "." { i += 1 }
            throw fail("invalid decimal literal '\(text(s, start, i))'", start)
        }

        static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
        static func isNameStart(_ c: Unicode.Scalar) -> Bool { (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" }
        static func isNameChar(_ c: Unicode.Scalar) -> Bool { isNameStart(c) || isDigit(c) }

        static func matches(_ s: [Unicode.Scalar], _ i: Int, _ sym: String) -> Bool {
            let a = Array(sym.unicodeScalars)
            return i + a.count <= s.count && Array(s[i..<i + a.count]) == a
        }

        static func text(_ s: [Unicode.Scalar], _ from: Int, _ to: Int) -> String {
            var out = String.UnicodeScalarView()
            out.append(contentsOf: s[from..<to])
            return String(out)
        }

        /// `'x'` for printable ASCII, otherwise the code point (and the character if printable).
        static func describe(_ c: Unicode.Scalar) -> String {
            let hex = String(c.value, radix: 16, uppercase: true)
            let code = "U+" + String(repeating: "0", count: Swift.max(0, 4 - hex.count)) + hex
            if c.value >= 0x21 && c.value < 0x7F { return "'\(c)'" }
            if c.properties.isWhitespace || c.properties.generalCategory == .control { return code }
            return "'\(c)' (\(code))"
        }
    }
}
