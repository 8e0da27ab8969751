/// Renders `ckpt plot`'s two charts (lr per param group, then loss) as one SVG document,
/// each drawn by `SVGChart` and stacked vertically.
enum PlotSVG {
    /// Series longer than this are drawn as this many bucket means (x = the bucket's mean step),
    /// so a 60 000-step run still gives a small file; the shape of the curve is kept.
    static let maxPoints = 2000
    static let width = 760.0

    static func render(_ history: PlotHistory, title: String) -> String {
        var charts: [SVGChart] = []
        let groups = history.lr.count
        charts.append(SVGChart(
            title: "learning rate: \(title)", xLabel: "optimizer step", yLabel: "lr",
            series: history.lr.enumerated().map { g, values in
                SVGChart.Series(name: groups == 1 ? "lr" : "param group \(g)", points: points(values))
            },
            width: width, height: 400))
        if !history.loss.isEmpty {
            charts.append(SVGChart(
                title: "training loss: \(title)", xLabel: "optimizer step", yLabel: "loss",
                series: [SVGChart.Series(name: "loss" + (history.loss.count > maxPoints ? " (means over ~\(Int((Double(history.loss.count) / Double(maxPoints)).rounded(.up))) steps)" : ""),
                                         points: points(history.loss))],
                width: width, height: 380))
        }
        return stack(charts.map { ($0.render(), $0.height) })
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

    /// One SVG document holding each chart's `<svg>` element at its vertical offset.
    static func stack(_ documents: [(svg: String, height: Double)]) -> String {
        let total = documents.reduce(0) { $0 + $1.height }
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(Int(width))" height="\(Int(total))" viewBox="0 0 \(Int(width)) \(Int(total))">

            """
        var y = 0.0
        for (svg, height) in documents {
            var body = Substring(svg)
            if body.hasPrefix("<?xml"), let end = body.firstIndex(of: "\n") { body = body[body.index(after: end)...] }
            if let open = body.range(of: "<svg ") {
                body.replaceSubrange(open, with: "<svg y=\"\(Int(y))\" ")
            }
            out += body
            y += height
        }
        return out + "</svg>\n"
    }
}
