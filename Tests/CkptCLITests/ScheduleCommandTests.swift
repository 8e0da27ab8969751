import Ckpt
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import CkptCLI

@Suite struct ScheduleCommandTests {
    func config(_ text: String) throws -> StateDict {
        guard case .dict(let d) = try JSON.parse(text) else { throw CLIError("not a dict") }
        return d
    }

    func failure(_ text: String, steps: Int = 3) -> String? {
        do {
            _ = try ScheduleRunner.run(config: try config(text), steps: steps)
            return nil
        } catch let e as CLIError {
            return e.message
        } catch {
            return "\(error)"
        }
    }

    /// The seed's example config; torch 2.15 prints these lrs for it.
    @Test func seedExampleMatchesTorch() throws {
        let r = try ScheduleRunner.run(config: try config("""
            {"optimizer": {"type": "SGD", "lr": 0.001, "momentum": 0.9},
             "scheduler": {"type": "ExponentialLR", "gamma": 0.9}}
            """), steps: 5)
        let torch = [0.001, 0.0009000000000000001, 0.0008100000000000001, 0.000729, 0.0006561000000000001, 0.00059049]
        #expect(r.lr.map { $0[0].bitPattern } == torch.map(\.bitPattern))
        #expect(r.momentum == nil)
        // --json round-trips every double.
        let console = Console.capture()
        console.printJSON(r.json())
        guard case .dict(let back) = try JSON.parse(console.output), let rows = back["lr"]?.arrayValue else {
            Issue.record("json output is not {\"lr\": [...]}"); return
        }
        #expect(rows.count == 6)
        #expect(rows.map { $0.arrayValue![0].doubleValue!.bitPattern } == torch.map(\.bitPattern))
        #expect(r.table().count == 7)
        #expect(r.table()[1].hasPrefix("0 ") && r.table()[1].hasSuffix(" 0.001"))
        #expect(Set(r.table().map(\.count)).count == 1, "numbers aligned right")
    }

    @Test func cycledMomentumAndMetrics() throws {
        let r = try ScheduleRunner.run(config: try config("""
            {"optimizer": {"type": "Adam", "lr": 0.001, "param_groups": [{"lr": 0.001}, {"lr": 0.01}]},
             "scheduler": {"type": "OneCycleLR", "max_lr": 0.01, "total_steps": 10}}
            """), steps: 10)
        #expect(r.groups == 2)
        #expect(r.momentum?.first == [0.95, 0.95])
        // torch 2.15: OneCycleLR(Adam(...), max_lr=0.01, total_steps=10)
        #expect(r.lr[0][0].bitPattern == (0.0003999999999999993).bitPattern)
        #expect(r.lr[3].map(\.bitPattern) == [0.009504846320134737, 0.009504846320134737].map(\.bitPattern))
        #expect(r.momentum?[3].map(\.bitPattern) == [0.854951556604879, 0.854951556604879].map(\.bitPattern))
        let p = try ScheduleRunner.run(config: try config("""
            {"optimizer": {"type": "SGD", "lr": 0.1},
             "scheduler": {"type": "ReduceLROnPlateau", "patience": 1}, "metrics": [1, 1, 1, 1]}
            """), steps: 4)
        #expect(p.lr.map { $0[0] } == [0.1, 0.1, 0.1, 0.010000000000000002, 0.010000000000000002])
    }

    @Test(arguments: [
        (#"{"optimizer": {"type": "SGD", "lr": 0.1}, "scheduler": {"type": "StepLR", "step_size": 2, "gama": 0.5}}"#, "scheduler.gama"),
        (#"{"scheduler": {"type": "StepLR", "step_size": 2}}"#, "optimizer"),
        (#"{"optimizer": {"type": "SGD", "lr": 0.1}, "scheduler": {"type": "ReduceLROnPlateau"}}"#, "metrics"),
        (#"{"optimizer": {"type": "SGD", "lr": 0.1}, "scheduler": {"type": "ReduceLROnPlateau"}, "metrics": [1]}"#, "metrics"),
        (#"{"optimizer": {"type": "SGD", "lr": 0.1}, "scheduler": {"type": "OneCycleLR", "max_lr": 1.0, "total_steps": 2}}"#, "scheduler"),
    ])
    func badConfigNamesTheKey(_ text: String, _ key: String) {
        let m = failure(text)
        #expect(m?.hasPrefix(key) == true, "\(m ?? "no error")")
        #expect(m?.contains("\n") == false)
    }

    @Test func chartIsWellFormedXML() throws {
        let chart = SVGChart(title: "lr <&> test", xLabel: "step", yLabel: "lr", series: [
            .init(name: "group 0", values: (0...300).map { 0.1 * pow(0.97, Double($0)) }, firstX: 0),
            .init(name: "group \"1\"", values: [0.1, 0, .nan, 0.05, 0.01], firstX: 0),
        ], logY: true)
        let svg = chart.render()
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(svg.components(separatedBy: "<polyline").count - 1 >= 2)
        let linear = SVGChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "c", values: [1, 1, 1], firstX: 0)]).render()
        #expect(XMLParser(data: Data(linear.utf8)).parse())
    }

    @Test func niceTicks() {
        #expect(SVGChart.niceTicks(0, 300) == [0, 50, 100, 150, 200, 250, 300])
        #expect(SVGChart.niceTicks(0, 0.1).count >= 4)
        #expect(SVGChart.label(0.00001, step: 0.00001) == "1e-5")
        #expect(SVGChart.label(0.25, step: 0.05) == "0.25")
    }
}
