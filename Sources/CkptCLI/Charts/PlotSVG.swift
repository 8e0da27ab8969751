/// Renders `ckpt plot`'s two charts (lr per param group, then loss) as one SVG document,
/// each drawn by `SVGChart` from `StepSeries` and stacked vertically.
enum PlotSVG {
    static let width = 760.0

    static func render(_ history: PlotHistory, title: String) -> String {
        stack(charts(history, title: title).map { ($0.render(), $0.height) })
    }

    /// The lr chart, then the loss chart when the run has a loss history.
    static func charts(_ history: PlotHistory, title: String) -> [SVGChart] {
        var charts: [SVGChart] = []
        charts.append(SVGChart(
            title: "learning rate: \(title)", xLabel: "optimizer step", yLabel: "lr",
            series: StepSeries.lr(history.progress), width: width, height: 400))
        if let loss = StepSeries.loss(history.progress) {
            charts.append(SVGChart(
                title: "training loss: \(title)", xLabel: "optimizer step", yLabel: "loss",
                series: [loss], width: width, height: 380))
        }
        return charts
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
