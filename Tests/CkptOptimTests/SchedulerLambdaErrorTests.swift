import CkptCore
import Testing
@testable import CkptOptim

/// What an lr_lambda that Python would reject (or that ckpt cannot represent) reports: a
/// syntax error names the column and the token; an evaluation error names the expression,
/// the epoch and Python's exception.
@Suite struct SchedulerLambdaErrorTests {
    struct SyntaxCase: CustomStringConvertible, Sendable {
        var source: String
        var message: String
        var description: String { source }
    }

    static let functions = "min max abs exp log sqrt cos sin floor ceil"

    static let syntaxCases: [SyntaxCase] = [
        .init(source: "epoch if epoch < 5",
              message: "expected 'else' after the condition of 'if', found end of expression at column 19"),
        .init(source: "(epoch + 1) / 5 if epoch < 5 0.95",
              message: "expected 'else' after the condition of 'if', found '0.95' at column 30"),
        .init(source: "epoch if epoch < 5 else", message: "unexpected end of expression at column 24"),
        .init(source: "epoch +", message: "unexpected end of expression at column 8"),
        .init(source: "", message: "unexpected end of expression at column 1"),
        .init(source: "epoch < < 5", message: "unexpected '<' at column 9"),
        .init(source: "(epoch", message: "expected ')' to close the '(' at column 1, found end of expression at column 7"),
        .init(source: "epoch)", message: "unmatched ')' at column 6"),
        .init(source: "epoch = 5", message: "unexpected '=' (comparison is '==') at column 7"),
        .init(source: "epoch | 1", message: "unsupported operator '|' at column 7"),
        .init(source: "~epoch", message: "unsupported operator '~' at column 1"),
        .init(source: "epoch in 5", message: "unsupported operator 'in' (the comparisons are < <= > >= == !=) at column 7"),
        .init(source: "epoch is 5", message: "unsupported operator 'is' (the comparisons are < <= > >= == !=) at column 7"),
        .init(source: "- not epoch", message: "unexpected 'not' at column 3"),
        .init(source: "epoch < not 1", message: "unexpected 'not' at column 9"),
        .init(source: "2 ** not 1", message: "unexpected 'not' at column 6"),
        .init(source: "else 1", message: "unexpected 'else' at column 1"),
        .init(source: "epoch; 1", message: "unexpected ';' at column 6"),
        .init(source: "lambda epoch: 0.95 ** epoch",
              message: "write only the lambda's body: the expression after 'lambda epoch:' at column 1"),
        .init(source: "foo(epoch)",
              message: "unknown name 'foo' (the names are epoch, True, False, pi, math.pi, math.e and the functions \(functions)) at column 1"),
        .init(source: "epoch.real", message: "unexpected '.' at column 6"),
        .init(source: "epoch(1)", message: "'epoch' cannot be called (the functions are \(functions)) at column 6"),
        .init(source: "True()", message: "'True' cannot be called (the functions are \(functions)) at column 5"),
        .init(source: "math", message: "expected '.' after 'math', found end of expression at column 5"),
        .init(source: "math.1", message: "expected '.' after 'math', found '.1' at column 5"),
        .init(source: "math.(1)", message: "expected a name after 'math.', found '(' at column 6"),
        .init(source: "math.tan(epoch)",
              message: "unsupported 'math.tan' (supported: math.pi, math.e, math.exp, math.log, math.sqrt, math.cos, math.sin, math.floor, math.ceil) at column 6"),
        .init(source: "min", message: "expected '(' after 'min', found end of expression at column 4"),
        .init(source: "min(epoch)", message: "min() takes at least 2 arguments, got 1 at column 1"),
        .init(source: "cos(1, 2)", message: "cos() takes exactly 1 argument, got 2 at column 1"),
        .init(source: "math.log(1, 2, 3)", message: "log() takes 1 or 2 arguments, got 3 at column 6"),
        .init(source: "log(1 2)", message: "expected ',' or ')' in the arguments of log(), found '2' at column 7"),
        .init(source: "log(x=1)", message: "unknown name 'x' (the names are epoch, True, False, pi, math.pi, math.e and the functions \(functions)) at column 5"),
        .init(source: "01 + epoch", message: "leading zeros in decimal integer literals are not permitted: '01' at column 1"),
        .init(source: "1_ + epoch", message: "invalid decimal literal '1_' at column 1"),
        .init(source: "0x10", message: "invalid decimal literal '0x10' at column 1"),
        .init(source: "1e * epoch", message: "invalid decimal literal '1e' at column 1"),
        .init(source: "1if epoch else 2", message: "invalid decimal literal '1if' at column 1"),
        .init(source: "epoch * 99999999999999999999",
              message: "integer literal '99999999999999999999' does not fit in 64 bits (write it as a float, e.g. '99999999999999999999.0') at column 9"),
        .init(source: "epoch ≤ 5", message: "unexpected character '≤' (U+2264) at column 7"),
        .init(source: "epoch\n", message: "unexpected character U+000A at column 6"),
        .init(source: "'0.5'", message: "unexpected character ''' at column 1"),
    ]

    @Test(arguments: syntaxCases)
    func syntaxErrorNamesColumnAndToken(_ c: SyntaxCase) {
        #expect { try LambdaExpression(c.source) } throws: { e in
            let m = (e as? SchedulerError)?.message
            let want = "lr_lambda \"\(c.source)\": \(c.message)"
            if m != want { Issue.record("got  \(m ?? "\(e)")\nwant \(want)") }
            return m == want
        }
    }

    /// What Python accepts and ckpt too, beyond the golden fixture.
    @Test(arguments: ["min(1, 2,)", "epoch if epoch else-1", "not(epoch)", "(epoch)if(epoch)else(1)", "1.e5", "1_0.0_1e1_0",
                      "epoch<5", " \tepoch ", "-2**-2", "(1 if 2 else 3) if 4 else 5"])
    func accepts(_ source: String) throws {
        _ = try LambdaExpression(source).evaluateValue(epoch: 3)
    }

    @Test func nestingAndLengthAreBounded() throws {
        let deep = 100
        let ok = String(repeating: "(", count: deep) + "epoch" + String(repeating: ")", count: deep)
        #expect(try LambdaExpression(ok).evaluateValue(epoch: 7) == .int(7))
        let tooDeep = String(repeating: "(", count: deep + 1) + "1" + String(repeating: ")", count: deep + 1)
        #expect(throws: SchedulerError("lr_lambda \"\(tooDeep)\": expression nested too deeply (more than 100 levels) at column 102")) {
            try LambdaExpression(tooDeep)
        }
        let negations = String(repeating: "-", count: 200) + "epoch"
        #expect(throws: SchedulerError.self) { try LambdaExpression(negations) }
        // The longest accepted chain (511 tokens + end) evaluates without exhausting the stack.
        let long = "epoch" + String(repeating: " + 1", count: 255)
        #expect(try LambdaExpression(long).evaluateValue(epoch: 2) == .int(257))
        let tooLong = long + " + 1"
        #expect {
            try LambdaExpression(tooLong)
        } throws: { e in
            (e as? SchedulerError)?.message.contains("expression too long (more than 512 tokens)") == true
        }
    }

    struct EvalCase: CustomStringConvertible, Sendable {
        var source: String
        var epoch: Int
        var message: String
        var description: String { "\(source) @ \(epoch)" }
    }

    static let overflowHint = "does not fit in a 64-bit int (Python's ints are unbounded, ckpt's are not; "
        + "a float operand, e.g. 2.0 instead of 2, computes in floating point)"

    static let evalCases: [EvalCase] = [
        .init(source: "1 / epoch", epoch: 0, message: "ZeroDivisionError: division by zero"),
        .init(source: "1.0 / epoch", epoch: 0, message: "ZeroDivisionError: float division by zero"),
        .init(source: "epoch // 0", epoch: 3, message: "ZeroDivisionError: integer division or modulo by zero"),
        .init(source: "epoch % 0.0", epoch: 3, message: "ZeroDivisionError: float modulo"),
        .init(source: "epoch // 0.0", epoch: 3, message: "ZeroDivisionError: float floor division by zero"),
        .init(source: "0.0 ** -epoch", epoch: 1, message: "ZeroDivisionError: 0.0 cannot be raised to a negative power"),
        .init(source: "10 ** epoch", epoch: 19, message: "OverflowError: 10 ** 19 \(overflowHint)"),
        .init(source: "9223372036854775807 + epoch", epoch: 1, message: "OverflowError: 9223372036854775807 + 1 \(overflowHint)"),
        .init(source: "-9223372036854775807 - epoch", epoch: 2, message: "OverflowError: -9223372036854775807 - 2 \(overflowHint)"),
        .init(source: "4294967296 * 4294967296 * epoch", epoch: 1, message: "OverflowError: 4294967296 * 4294967296 \(overflowHint)"),
        .init(source: "-(-9223372036854775807 - epoch)", epoch: 1, message: "OverflowError: -(-9223372036854775808) \(overflowHint)"),
        .init(source: "(-9223372036854775807 - epoch) // -1", epoch: 1,
              message: "OverflowError: -9223372036854775808 // -1 \(overflowHint)"),
        .init(source: "abs(-9223372036854775807 - epoch)", epoch: 1, message: "OverflowError: abs(-9223372036854775808) \(overflowHint)"),
        .init(source: "floor(1e300 * epoch)", epoch: 1, message: "OverflowError: floor(1e+300) \(overflowHint)"),
        .init(source: "math.ceil(1e400 * epoch)", epoch: 1, message: "OverflowError: cannot convert float infinity to integer"),
        .init(source: "floor(1e400 * epoch)", epoch: 0, message: "ValueError: cannot convert float NaN to integer"),
        .init(source: "10.0 ** (epoch * 400)", epoch: 1, message: "OverflowError: (34, 'Numerical result out of range')"),
        .init(source: "exp(epoch * 1000)", epoch: 1, message: "OverflowError: math range error"),
        .init(source: "cos(1e400 + epoch)", epoch: 0, message: "ValueError: math domain error"),
        .init(source: "sqrt(-epoch)", epoch: 1, message: "ValueError: math domain error"),
        .init(source: "log(epoch)", epoch: 0, message: "ValueError: math domain error"),
        .init(source: "log(epoch, 1)", epoch: 2, message: "ZeroDivisionError: float division by zero"),
        .init(source: "(-8) ** (epoch / 3)", epoch: 1,
              message: "a negative number raised to a fractional power: -8.0 ** 0.3333333333333333 is a complex number in Python"),
    ]

    @Test(arguments: evalCases)
    func evaluationErrorNamesExpressionAndEpoch(_ c: EvalCase) throws {
        let e = try LambdaExpression(c.source)
        let want = "lr_lambda \"\(c.source)\" at epoch \(c.epoch): \(c.message)"
        #expect { try e.evaluate(epoch: c.epoch) } throws: { err in
            let m = (err as? SchedulerError)?.message
            if m != want { Issue.record("got  \(m ?? "\(err)")\nwant \(want)") }
            return m == want
        }
    }

    /// Python evaluates only what it must: the untaken branch, the right of a decided
    /// `and` / `or` and the rest of a failed chained comparison may fail without harm.
    @Test func shortCircuitsLikePython() throws {
        #expect(try LambdaExpression("1 / epoch if epoch else 1.0").evaluateValue(epoch: 0) == .float(1.0))
        #expect(try LambdaExpression("epoch and 1 / epoch").evaluateValue(epoch: 0) == .int(0))
        #expect(try LambdaExpression("epoch == 0 or 1 / epoch").evaluateValue(epoch: 0) == .bool(true))
        #expect(try LambdaExpression("0 < epoch < 1 / epoch").evaluateValue(epoch: 0) == .bool(false))
        #expect(throws: SchedulerError.self) { try LambdaExpression("epoch < 1 < 1 / epoch").evaluateValue(epoch: 0) }
    }

    @Test func overflowPromotesNowhereAndTrapsNever() throws {
        // 2 ** 63 does not fit; -2 ** 63 is parsed as -(2 ** 63), as in Python, so it fails too,
        // while (-2) ** 63 is exactly Int64.min.
        #expect(throws: SchedulerError.self) { try LambdaExpression("2 ** 63").evaluateValue(epoch: 0) }
        #expect(throws: SchedulerError.self) { try LambdaExpression("-2 ** 63").evaluateValue(epoch: 0) }
        #expect(try LambdaExpression("(-2) ** 63").evaluateValue(epoch: 0) == .int(.min))
        #expect(try LambdaExpression("(-9223372036854775807 - 1) % -1").evaluateValue(epoch: 0) == .int(0))
        #expect(try LambdaExpression("2.0 ** 63").evaluateValue(epoch: 0) == .float(9_223_372_036_854_775_808.0))
        #expect(try LambdaExpression("1e308 * 10").evaluateValue(epoch: 0) == .float(.infinity))  // Python: inf, no error
    }

    @Test func boolResultsAreNumbersForTheScheduler() throws {
        let e = try LambdaExpression("epoch < 5")
        #expect(try e.evaluateValue(epoch: 2) == .bool(true))
        #expect(try e.evaluate(epoch: 2) == 1.0)
        #expect(try e.evaluate(epoch: 7) == 0.0)
    }
}
