import CkptCore
import Testing
@testable import CkptOptim

/// `LambdaExpression` on malformed input: every expression CPython refuses for
/// `lambda epoch: <expr>` (SyntaxError when parsed, an exception when called), and every value
/// ckpt cannot represent (ints beyond 64 bits, complex numbers), is a `SchedulerError`, never a
/// trap and never a number.
@Suite struct LambdaExpressionMalformedInputTests {
    /// Parsing and then evaluating at `epoch` throws a `SchedulerError` naming the expression.
    static func refuses(_ source: String, epoch: Int = 3, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let v = try LambdaExpression(source).evaluateValue(epoch: epoch)
            Issue.record("\(source.debugDescription) at epoch \(epoch) gave \(v)", sourceLocation: sourceLocation)
        } catch let e as SchedulerError {
            #expect(e.message.contains(source), "\(e.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("not a SchedulerError: \(error)", sourceLocation: sourceLocation)
        }
    }

    /// Truncated or misplaced tokens (SyntaxError in Python).
    @Test(arguments: ["(", "((epoch)", "min(", "min(1,", "min(1, 2", "1 +", "2 **", "epoch /", "-", "+", " ", "\t",
                      "*", "epoch * * 2", "epoch ** ** 2", "epoch //", "1 2", "epoch epoch", "()", "(,)", "min(,)",
                      "min(1,,2)", "1.5.2", "1..2", "1e", "1e+", "1ee5", "0.95 ** epoch)", "epoch\u{0}"])
    func syntaxErrors(source: String) {
        Self.refuses(source)
    }

    /// Characters Swift calls letters or numbers that Python refuses or takes as other names:
    /// never silently read as a digit or as `epoch`.
    @Test(arguments: ["½", "²", "٣", "epoch²", "epoch·2", "1\u{301}", "e\u{301}poch", "π", "∞"])
    func unicodeLookalikes(source: String) {
        Self.refuses(source)
    }

    /// Calls Python refuses (TypeError / ValueError / OverflowError / ZeroDivisionError), and
    /// results outside Int64 (a big int in Python).
    @Test(arguments: [
        ("min()", 0), ("max(1)", 0), ("abs(1, 2)", 0), ("exp()", 0), ("log(1, 2, 3)", 0), ("sqrt(1, 2)", 0),
        ("epoch[0]", 0), ("'a'", 0),
        ("1 / epoch", 0), ("1 // epoch", 0), ("1 % epoch", 0), ("1.0 / (epoch - 3)", 3), ("0.0 ** -1", 0),
        ("log(0)", 0), ("log(-1)", 0), ("log(epoch, 1)", 2), ("sqrt(-1)", 0), ("exp(1000)", 0), ("10.0 ** 400", 0),
        ("(-8) ** (1 / 3)", 0),  // Python gives a complex number: not a learning rate
        ("floor(1e300)", 0), ("ceil(1e999)", 0), ("floor(1e999 - 1e999)", 0),
        ("10 ** epoch", 19), ("9223372036854775807 + epoch", 1), ("-9223372036854775807 - epoch", 2),
        ("abs(-9223372036854775807 - 1)", 0), ("99999999999999999999", 0),
    ])
    func evaluationErrors(source: String, epoch: Int) {
        Self.refuses(source, epoch: epoch)
    }

    /// Nesting within the parser's limit (100 levels) still parses.
    @Test func moderateNestingParses() throws {
        let parens = String(repeating: "(", count: 90) + "epoch" + String(repeating: ")", count: 90)
        #expect(try LambdaExpression(parens).evaluateValue(epoch: 4) == .int(4))
        let negations = String(repeating: "-", count: 90) + "epoch"
        #expect(try LambdaExpression(negations).evaluateValue(epoch: 4) == .int(4))
    }

    /// A config is untrusted: an expression nested 100,000 deep must be an error, not a stack
    /// overflow. Python's own parser refuses it ("too many nested parentheses", limit 200).
    @Test func hostileNestingIsAnError() {
        Self.refuses(String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000))
        Self.refuses(String(repeating: "-", count: 100_000) + "1")
        Self.refuses(String(repeating: "2 ** ", count: 100_000) + "1")
    }
}
