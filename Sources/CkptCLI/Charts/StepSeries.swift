import Ckpt

/// A run's per-step histories (`progress/lr`, `progress/loss`) as chart series: the one place
/// that numbers optimizer steps, shared by the trainer's `lr.svg` (`LRCurve`) and `ckpt plot`
/// (`PlotSVG`), so both draw the same curve at the same x.
///
/// Steps are 1-based: x = k is the k-th optimizer step, the one that used `history[k - 1]`
/// (as the diff engine's `HistoryEntry.step` and `ckpt resume --verify` count them).
enum StepSeries {
    /// Series longer than this are drawn as this many bucket means (x = the bucket's mean step),
    /// so a 60 000-step run still gives a small file; the shape of the curve is kept.
    static let maxPoints = 2000

    /// The lr of each param group, one series each ("lr" when there is one group).
    static func lr(_ progress: RunProgress) -> [SVGChart.Series] {
        let columns = lrColumns(progress)
        return columns.enumerated().map { g, values in
            SVGChart.Series(name: columns.count == 1 ? "lr" : "param group \(g)", points: points(values))
        }
    }

    /// The loss of each step, or nil when the run has no loss history.
    static func loss(_ progress: RunProgress) -> SVGChart.Series? {
        let values = progress.lossHistory.map(Double.init)
        guard !values.isEmpty else { return nil }
        let means = values.count > maxPoints
            ? " (means over ~\(Int((Double(values.count) / Double(maxPoints)).rounded(.up))) steps)" : ""
        return SVGChart.Series(name: "loss" + means, points: points(values))
    }

    /// The lr history (`[steps, groups]`) split by column: one array per param group.
    static func lrColumns(_ progress: RunProgress) -> [[Double]] {
        let groups = progress.groups ?? 0, values = progress.lrValues
        return (0..<groups).map { g in stride(from: g, to: values.count, by: groups).map { values[$0] } }
    }

    /// (step, value) with steps counted from 1, reduced to at most `maxPoints` bucket means.
    static func points(_ values: [Double]) -> [(x: Double, y: Double)] {
        let n = values.count
        guard n > maxPoints else { return values.enumerated().map { (Double($0.offset + 1), $0.element) } }
        return (0..<maxPoints).map { b in
            let start = b * n / maxPoints, end = (b + 1) * n / maxPoints
            let slice = values[start..<end]
            let x = Double(start + end + 1) / 2
            return (x, slice.reduce(0, +) / Double(slice.count))
        }
    }
}
