import CkptTestSupport
import Testing
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import CkptCore
import CkptFormat
@testable import CkptCLI

@Suite struct PlotCommandTests {
    var files = MemoryFiles()
    let file: String

    init() {
        file = files.add("run.h5", SampleCheckpoints.checkpoint(steps: 5000))
    }

    func plot(_ args: [String], files: MemoryFiles? = nil) throws -> (status: CommandStatus, out: String, err: String) {
        let command = try PlotCommand.parse(args)
        let reader = (files ?? self.files).reader
        return runCommand { try command.execute(console: $0, reader: reader) }
    }

    @Test func writesNextToTheCheckpointByDefault() throws {
        let r = try plot([file])
        #expect(r.status == .success)
        let svg = files.path("run.svg")
        #expect(r.out == "wrote \(svg): lr for 2 param groups and loss over 5000 steps\n")
        #expect(FileManager.default.fileExists(atPath: svg))
    }

    @Test func svgIsWellFormedWithTwoChartsAndBoundedSize() throws {
        let r = try plot([file, "--out", "-"])
        #expect(r.status == .success)
        let doc = try XMLDocument(xmlString: r.out, options: [])
        let root = try #require(doc.rootElement())
        #expect(root.name == "svg")
        let charts = root.elements(forName: "svg")
        #expect(charts.count == 2)
        #expect(r.out.contains("<svg y=\"0\" ") && r.out.contains("<svg y=\"400\" "))
        let texts = try root.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
        #expect(texts.contains("learning rate: run.h5") && texts.contains("param group 1") && texts.contains("optimizer step"))
        // 5000 steps are drawn as at most 2000 points per series.
        #expect(r.out.utf8.count < 400_000)
    }

    @Test func jsonReportsWhatWasDrawn() throws {
        let out = files.path("x.svg")
        let r = try plot([file, "--out", out, "--json"])
        let root = try #require(try JSON.parse(r.out).dictValue)
        #expect(root["out"] == .string(out) && root["steps"] == 5000 && root["groups"] == 2)
        #expect(root["lr"]?.arrayValue?[1].dictValue?["last"] == 0.001)
    }

    @Test func checkpointWithoutHistoryIsBadInput() throws {
        var f = files
        var c = SampleCheckpoints.checkpoint()
        c.progress = nil
        let p = f.add("nohistory.h5", c)
        let r = try plot([p], files: f)
        #expect(r.status == .badInput)
        #expect(r.err == "\(p): /progress/lr: no lr history to plot (a checkpoint written by 'ckpt train' holds one)")
    }

    @Test func unwritableOutputIsBadInput() throws {
        let r = try plot([file, "--out", files.path("no/such/dir/x.svg")])
        #expect(r.status == .badInput)
        #expect(r.err.contains("no/such/dir/x.svg: cannot write the chart"))
    }

    @Test func bucketMeansKeepTheCurve() {
        let values = (0..<10_000).map(Double.init)
        let points = StepSeries.points(values)
        #expect(points.count == StepSeries.maxPoints)
        #expect(points[0].x == 3 && points[0].y == 2)  // steps 1...5, values 0...4
        #expect(StepSeries.points([4, 5]).map(\.x) == [1, 2])
    }

    /// `ckpt train`'s lr.svg and `ckpt plot` draw the same lr series: step k (1-based, as
    /// `ckpt diff` counts) at x = k, one series per param group.
    @Test func lrSvgAndPlotNumberStepsTheSameWay() throws {
        let checkpoint = SampleCheckpoints.checkpoint(steps: 6)
        let history = try PlotHistory(checkpoint: checkpoint, file: "run.h5")
        let plotted = try #require(PlotSVG.charts(history, title: "run.h5").first).series
        let trained = LRCurve.chart(try RunProgress(stateDict: checkpoint.progress!)).series
        #expect(plotted.map(\.name) == ["param group 0", "param group 1"])
        #expect(trained.map(\.name) == plotted.map(\.name))
        for (a, b) in zip(plotted, trained) {
            #expect(a.points.map(\.x) == [1, 2, 3, 4, 5, 6])
            #expect(a.points.map(\.x) == b.points.map(\.x) && a.points.map(\.y) == b.points.map(\.y))
        }
        #expect(plotted[1].points.map(\.y) == [0.01, 0.01, 0.001, 0.001, 0.001, 0.001])
    }

    static let hasChromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].contains(where: FileManager.default.isExecutableFile(atPath:))

    /// Renders the chart in headless Chromium (scripts/render_svg.sh) when it is installed.
    @Test(.enabled(if: hasChromium, "chromium is not installed (scripts/render_svg.sh installs it)"))
    func rendersInAHeadlessBrowser() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/render_svg.sh").path
        let svg = files.path("render.svg"), png = files.path("render.png")
        #expect(try plot([file, "--out", svg]).status == .success)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [script, svg, png, "800x800"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: png))
        #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))  // a PNG
        #expect(bytes.count > 10_000)  // more than a blank page
    }
}
