import Foundation

/// A self-contained SVG line chart: several named series over a shared x axis, with axes,
/// "nice" ticks (1-2-5 steps, or decades on a log y axis), tick labels, axis labels, a title
/// and a legend. `ckpt schedule --plot`, `ckpt plot` and the trainer's `lr.svg` draw with it
/// (Charts/ holds every chart: this, `PlotSVG`, `LRCurve`, `StepSeries`, `Sparkline`).
///
/// Points whose y is not finite (or not positive on a log axis) break the line rather than
/// distort the scale. The output is plain SVG 1.1 (no scripts, no external fonts), so any
/// browser renders it.
public struct SVGChart {
    public struct Series {
        public var name: String
        /// (x, y) in data units, in drawing order.
        public var points: [(x: Double, y: Double)]

        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
        }

        /// `values[i]` at x = `firstX + i`: a scheduler's rows count from 0 (the lr before
        /// any step); optimizer-step histories go through `StepSeries` instead (1-based).
        public init(name: String, values: [Double], firstX: Int) {
            self.init(name: name, points: values.enumerated().map { (Double(firstX + $0.offset), $0.element) })
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var logY: Bool
    public var width: Double
    public var height: Double

    public init(title: String, xLabel: String, yLabel: String, series: [Series], logY: Bool = false,
                width: Double = 760, height: Double = 440) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.logY = logY
        self.width = width
        self.height = height
    }

    /// Matplotlib's "tab10" colours, so charts look like the PyTorch users' plots.
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    func usable(_ y: Double) -> Bool { y.isFinite && (!logY || y > 0) }

    /// The SVG document.
    public func render() -> String {
        let left = 84.0, right = 24.0, top = 46.0
        let legendRows = Double(series.count)
        let bottom = 56.0 + 18 * legendRows
        let plotW = max(width - left - right, 10), plotH = max(height - top - bottom, 10)

        let xs = series.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
        let ys = series.flatMap { $0.points.map(\.y) }.filter(usable)
        var (x0, x1) = (xs.min() ?? 0, xs.max() ?? 1)
        if x0 == x1 { x0 -= 1; x1 += 1 }
        let xTicks = Self.niceTicks(x0, x1)

        var yTicks: [Double]
        var (y0, y1): (Double, Double)
        if logY {
            var lo = log10(ys.min() ?? 1), hi = log10(ys.max() ?? 10)
            if lo == hi { lo -= 0.5; hi += 0.5 }
            (y0, y1) = (lo, hi)
            yTicks = Self.logTicks(lo, hi)
        } else {
            var lo = ys.min() ?? 0, hi = ys.max() ?? 1
            if lo == hi { let d = lo == 0 ? 1 : Swift.abs(lo) * 0.1; lo -= d; hi += d }
            let pad = (hi - lo) * 0.04
            (y0, y1) = (lo - pad, hi + pad)
            yTicks = Self.niceTicks(y0, y1)
        }

        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotW }
        func py(_ y: Double) -> Double {
            let v = logY ? log10(y) : y
            return top + plotH - (v - y0) / (y1 - y0) * plotH
        }
        func f(_ d: Double) -> String { String(format: "%.2f", d) }

        var s = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
            <rect x="0" y="0" width="\(Int(width))" height="\(Int(height))" fill="white"/>
            <text x="\(f(left + plotW / 2))" y="26" text-anchor="middle" font-size="15" font-weight="bold">\(Self.escape(title))</text>

            """
        // Grid and ticks.
        s += "<g stroke=\"#e0e0e0\" stroke-width=\"1\">\n"
        for t in xTicks { s += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top))\" x2=\"\(f(px(t)))\" y2=\"\(f(top + plotH))\"/>\n" }
        for t in yTicks {
            let y = top + plotH - (t - y0) / (y1 - y0) * plotH
            s += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y))\"/>\n"
        }
        s += "</g>\n<g fill=\"#333\">\n"
        let xStep = xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1
        for t in xTicks {
            s += "<text x=\"\(f(px(t)))\" y=\"\(f(top + plotH + 18))\" text-anchor=\"middle\">\(Self.label(t, step: xStep))</text>\n"
        }
        let yStep = yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1
        for t in yTicks {
            let y = top + plotH - (t - y0) / (y1 - y0) * plotH
            let text = logY ? Self.label(pow(10, t), step: pow(10, t)) : Self.label(t, step: yStep)
            s += "<text x=\"\(f(left - 8))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(text)</text>\n"
        }
        s += "</g>\n"
        // Axes and labels.
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#333\"/>\n"
        s += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(top + plotH + 38))\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        let yl = Self.escape(yLabel + (logY ? " (log scale)" : ""))
        s += "<text x=\"18\" y=\"\(f(top + plotH / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(f(top + plotH / 2)))\">\(yl)</text>\n"
        // Lines, clipped to the plot area.
        s += "<clipPath id=\"plot\"><rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\"/></clipPath>\n"
        s += "<g clip-path=\"url(#plot)\" fill=\"none\" stroke-width=\"1.8\" stroke-linejoin=\"round\">\n"
        for (i, ser) in series.enumerated() {
            let color = Self.palette[i % Self.palette.count]
            var segment: [String] = []
            func flush() {
                if segment.count == 1 {
                    let xy = segment[0].split(separator: ",")
                    s += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"2\" fill=\"\(color)\" stroke=\"none\"/>\n"
                } else if segment.count > 1 {
                    s += "<polyline stroke=\"\(color)\" points=\"\(segment.joined(separator: " "))\"/>\n"
                }
                segment = []
            }
            for p in ser.points {
                if p.x.isFinite && usable(p.y) { segment.append("\(f(px(p.x))),\(f(py(p.y)))") } else { flush() }
            }
            flush()
        }
        s += "</g>\n"
        // Legend, under the x label.
        s += "<g>\n"
        for (i, ser) in series.enumerated() {
            let y = top + plotH + 56 + 18 * Double(i)
            let color = Self.palette[i % Self.palette.count]
            s += "<line x1=\"\(f(left))\" y1=\"\(f(y - 4))\" x2=\"\(f(left + 24))\" y2=\"\(f(y - 4))\" stroke=\"\(color)\" stroke-width=\"2.5\"/>\n"
            s += "<text x=\"\(f(left + 32))\" y=\"\(f(y))\">\(Self.escape(ser.name))</text>\n"
        }
        s += "</g>\n</svg>\n"
        return s
    }

    /// Ticks at multiples of a 1, 2 or 5 × 10^k step, about six across `[lo, hi]`.
    static func niceTicks(_ lo: Double, _ hi: Double, target: Double = 6) -> [Double] {
        let raw = (hi - lo) / target
        guard raw > 0, raw.isFinite else { return [lo] }
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        var ticks: [Double] = []
        var k = ceil(lo / step)
        while k * step <= hi + step * 1e-9 {
            let v = k * step
            ticks.append(Swift.abs(v) < step * 1e-9 ? 0 : v)
            k += 1
        }
        return ticks
    }

    /// log10 of the tick values on a log axis: each decade, plus 2× and 5× when the range is
    /// under three decades.
    static func logTicks(_ lo: Double, _ hi: Double) -> [Double] {
        var ticks: [Double] = []
        let mults: [Double] = hi - lo < 3 ? [1, 2, 5] : [1]
        var e = floor(lo)
        while e <= ceil(hi) {
            for m in mults {
                let v = e + log10(m)
                if v >= lo - 1e-9 && v <= hi + 1e-9 { ticks.append(v) }
            }
            e += 1
        }
        return ticks.isEmpty ? [lo] : ticks
    }

    /// A tick label with just enough digits for the tick spacing.
    static func label(_ v: Double, step: Double) -> String {
        if v == 0 { return "0" }
        let a = Swift.abs(v)
        if a < 1e-3 || a >= 1e6 {
            var t = String(format: "%.2g", v)
            if t.contains("e") {
                // "1e-05" → "1e-5", as Python users read it.
                t = t.replacingOccurrences(of: "e-0", with: "e-").replacingOccurrences(of: "e+0", with: "e").replacingOccurrences(of: "e+", with: "e")
            }
            return t
        }
        let decimals = max(0, min(10, -Int(floor(log10(Swift.abs(step)) + 1e-9))))
        return String(format: "%.\(decimals)f", v)
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
