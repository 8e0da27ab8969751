import CkptCore
import Foundation
import Testing
@testable import CkptOptim

/// The lr_lambda language against CPython evaluating the same `lambda epoch: ...`
/// (fixtures/lambda/lambda_grammar.json, written by fixtures/lambda/make_lambda_fixtures.py):
/// conditionals, comparisons, `and` / `or` / `not`, bools, ints and floats, each value's
/// Python type and bits; and the lr sequences of LambdaLR / MultiplicativeLR built from a
/// run config with such lambdas.
@Suite struct SchedulerLambdaGrammarTests {
    static let fixture: StateDict? = {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/lambda/lambda_grammar.json")
        guard let text = try? String(contentsOf: url, encoding: .utf8), case .dict(let d)? = try? JSON.parse(text) else { return nil }
        return d
    }()

    /// A value as the fixture writes it: a JSON int, a JSON bool, a float.hex() string, or
    /// `{"error": "<Python exception type>"}` (`"complex"` for a complex result).
    enum Expected: Equatable, CustomStringConvertible {
        case int(Int64), float(Double), bool(Bool), error(String)

        init?(_ v: StateValue) {
            switch v {
            case .int(let i): self = .int(i)
            case .bool(let b): self = .bool(b)
            case .string(let s):
                guard let d = Double(s) else { return nil }
                self = .float(d)
            case .dict(let d):
                guard let e = d["error"]?.stringValue else { return nil }
                self = .error(e)
            default: return nil
            }
        }

        var description: String {
            switch self {
            case .int(let i): "int \(i)"
            case .float(let d): "float \(d) (\(d.bitPattern))"
            case .bool(let b): b ? "True" : "False"
            case .error(let e): "raises \(e)"
            }
        }
    }

    struct Case: CustomStringConvertible, Sendable {
        var expr: String
        var values: [StateValue]
        var description: String { expr }
    }

    struct Schedule: CustomStringConvertible, Sendable {
        var type: String
        var expr: String
        var baseLRs: [Double]
        var lr: [[Double]]
        var description: String { "\(type): \(expr)" }
    }

    static let cases: [Case] = (fixture?["cases"]?.arrayValue ?? []).map { c in
        Case(expr: c.dictValue!["expr"]!.stringValue!, values: c.dictValue!["values"]!.arrayValue!)
    }

    static let schedules: [Schedule] = (fixture?["schedules"]?.arrayValue ?? []).map { s in
        let d = s.dictValue!
        func double(_ v: StateValue) -> Double { Double(v.stringValue!)! }
        return Schedule(type: d["type"]!.stringValue!, expr: d["lr_lambda"]!.stringValue!,
                        baseLRs: d["base_lrs"]!.arrayValue!.map(double),
                        lr: d["lr"]!.arrayValue!.map { $0.arrayValue!.map(double) })
    }

    @Test func fixtureLoaded() throws {
        let epochs = try #require(Self.fixture?["epochs"]?.arrayValue)
        #expect(epochs == (0...30).map { .int(Int64($0)) })
        #expect(Self.cases.count >= 40)
        #expect(Self.cases.allSatisfy { $0.values.count == epochs.count })
        #expect(Self.schedules.count >= 3)
    }

    @Test(arguments: cases)
    func matchesPython(_ c: Case) throws {
        let e = try LambdaExpression(c.expr)
        for (epoch, raw) in c.values.enumerated() {
            let want = try #require(Expected(raw), "fixture value \(raw)")
            let got: Expected
            do {
                switch try e.evaluateValue(epoch: epoch) {
                case .int(let i): got = .int(i)
                case .float(let d): got = .float(d)
                case .bool(let b): got = .bool(b)
                }
            } catch let err as SchedulerError {
                guard case .error(let kind) = want else {
                    Issue.record("epoch \(epoch): threw \(err.message), Python gives \(want)")
                    continue
                }
                #expect(err.message.contains(kind), "epoch \(epoch): \(err.message) does not name \(kind)")
                #expect(err.message.hasPrefix("lr_lambda \"\(c.expr)\" at epoch \(epoch): "))
                continue
            }
            switch (got, want) {
            case (.float(let g), .float(let w)):
                #expect(g.bitPattern == w.bitPattern || (g.isNaN && w.isNaN), "epoch \(epoch): \(got), Python \(want)")
            default:
                #expect(got == want, "epoch \(epoch)")
            }
        }
    }

    /// `base_lr * lr_lambda(epoch)` (LambdaLR) and `lr * lr_lambda(epoch)` (MultiplicativeLR)
    /// as Python multiplies them, through the run-config path and a state-dict resume.
    @Test(arguments: schedules)
    func schedulerMatchesPython(_ s: Schedule) throws {
        func optimizer() -> Optimizer {
            Optimizer(paramGroups: s.baseLRs.map { ParamGroup(params: [], options: ["lr": .double($0), "momentum": 0]) })
        }
        let config: StateDict = ["type": .string(s.type), "lr_lambda": .string(s.expr)]
        let opt = optimizer()
        let sched = try #require(try makeScheduler(config: config, optimizer: opt).scheduler)
        var saved: (StateDict, [ParamGroup])?
        for (k, row) in s.lr.enumerated() {
            if k > 0 {
                try opt.step()
                try sched.step()
            }
            #expect(opt.paramGroups.map(\.lr.bitPattern) == row.map(\.bitPattern), "step \(k): \(opt.paramGroups.map(\.lr)) vs \(row)")
            if k == 12 { saved = (sched.stateDict(), opt.paramGroups) }
        }

        // Resumed from step 12's state, the rest of the sequence is the same.
        let (state, groups) = try #require(saved)
        let opt2 = optimizer()
        opt2.paramGroups = groups
        let resumed = try makeScheduler(config: config, optimizer: opt2).scheduler
        try resumed.loadStateDict(state)
        for row in s.lr.dropFirst(13) {
            try opt2.step()
            try resumed.step()
            #expect(opt2.paramGroups.map(\.lr.bitPattern) == row.map(\.bitPattern))
        }
    }

    /// CPython's int / int rounds the exact quotient once, also beyond 2**53 where
    /// `Double(a) / Double(b)` would round twice.
    @Test func intTrueDivisionMatchesPython() throws {
        let rows = try #require(Self.fixture?["int_true_divisions"]?.arrayValue)
        #expect(rows.count > 100)
        for row in rows {
            let r = row.arrayValue!
            let x = r[0].intValue!, y = r[1].intValue!, want = Double(r[2].stringValue!)!
            let got = LambdaExpression.Arithmetic.trueDivide(x, y)
            #expect(got.bitPattern == want.bitPattern, "\(x) / \(y): \(got), Python \(want)")
        }
    }

    /// CPython compares an int with a float exactly, not through a rounding conversion.
    @Test func intFloatOrderMatchesPython() throws {
        let rows = try #require(Self.fixture?["int_float_orders"]?.arrayValue)
        #expect(rows.count > 100)
        for row in rows {
            let r = row.arrayValue!
            let i = r[0].intValue!, d = Double(r[1].stringValue!)!, want = Int(r[2].intValue!)
            let v = LambdaExpression.Value.int(i), f = LambdaExpression.Value.float(d)
            #expect(LambdaExpression.Comparing.order(v, f) == want, "\(i) vs \(d)")
            #expect(LambdaExpression.Comparing.order(f, v) == -want, "\(d) vs \(i)")
            #expect(LambdaExpression.Comparing.compare(.equal, v, f) == (want == 0))
        }
    }
}
