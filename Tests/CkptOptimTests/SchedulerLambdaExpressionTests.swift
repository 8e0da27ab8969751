import CkptCore
import Testing
@testable import CkptOptim

/// `LambdaExpression` against CPython evaluating the same `lambda epoch: ...`
/// (fixtures/schedulers/lambda_expressions.json): same type (int/float), same bits.
@Suite struct SchedulerLambdaExpressionTests {
    struct Case: CustomStringConvertible, Sendable {
        var expr: String
        var values: [StateValue]
        var description: String { expr }
    }

    static let cases: [Case] = {
        guard let doc = try? SchedulerFixtures.load("lambda_expressions") else { return [] }
        return doc["cases"]!.arrayValue!.map { c in
            let d = c.dictValue!
            return Case(expr: d["expr"]!.stringValue!, values: d["values"]!.arrayValue!)
        }
    }()

    @Test func fixtureLoaded() { #expect(Self.cases.count >= 30) }

    @Test(arguments: cases)
    func matchesPython(_ c: Case) throws {
        let e = try LambdaExpression(c.expr)
        for (epoch, want) in c.values.enumerated() {
            switch want {
            case .int(let i):
                #expect(try e.evaluateValue(epoch: epoch) == .int(i), "epoch \(epoch)")
            case .double(let d):
                let got = try e.evaluateValue(epoch: epoch)
                guard case .float(let g) = got else { Issue.record("epoch \(epoch): \(got) is not a float"); continue }
                #expect(g.bitPattern == d.bitPattern, "epoch \(epoch): \(g) != \(d)")
            case .dict:
                #expect(throws: SchedulerError.self) { try e.evaluateValue(epoch: epoch) }
            default:
                Issue.record("unexpected fixture value \(want)")
            }
        }
    }

    @Test(arguments: ["epoch +", "import os", "epoch(1)", "foo(epoch)", "min(epoch)", "(epoch", "epoch)", "__import__('os')",
                      "epoch.real", "1 if epoch", "epoch; 1", ""])
    func rejectsAnythingElse(_ source: String) {
        #expect(throws: SchedulerError.self) { try LambdaExpression(source) }
    }

    @Test func errorsLikePython() throws {
        #expect(throws: SchedulerError.self) { try LambdaExpression("1 / epoch").evaluate(epoch: 0) }
        #expect(throws: SchedulerError.self) { try LambdaExpression("log(epoch)").evaluate(epoch: 0) }
        #expect(throws: SchedulerError.self) { try LambdaExpression("10 ** epoch").evaluate(epoch: 40) }
        #expect(try LambdaExpression("10 ** epoch").evaluateValue(epoch: 18) == .int(1_000_000_000_000_000_000))
    }
}
