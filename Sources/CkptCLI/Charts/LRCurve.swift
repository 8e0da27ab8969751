import Ckpt
import Foundation

/// `DIR/lr.svg`: the seed's "learning rate's curve", the lr each optimizer step used, one
/// line per param group, over the whole run (a resumed run's history included).
enum LRCurve {
    static func write(_ progress: RunProgress, to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let groups = progress.lrHistory.first?.count ?? 1
        let series = (0..<groups).map { g in
            SVGChart.Series(name: groups == 1 ? "lr" : "group \(g)",
                            values: progress.lrHistory.map { g < $0.count ? $0[g] : .nan })
        }
        let chart = SVGChart(title: "learning rate (\(progress.globalStep) steps, \(progress.epoch) epochs)",
                             xLabel: "optimizer step", yLabel: "learning rate", series: series)
        do {
            try chart.render().write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw RunError.file(path, "cannot write the lr plot: \(error.localizedDescription)")
        }
    }
}
