/// A one-line terminal chart of a series with eighth-block characters (`▁▂▃▄▅▆▇█`).
///
/// Long series are resampled to `width` columns by taking each column's mean, so a decaying
/// lr reads as a staircase or curve; a constant series draws a flat middle line.
enum Sparkline {
    static let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    static func render(_ values: [Double], width: Int = 48) -> String {
        let finite = values.filter(\.isFinite)
        guard !values.isEmpty, let lo = finite.min(), let hi = finite.max() else { return "" }
        let columns = min(width, values.count)
        var out = ""
        for c in 0..<columns {
            let start = c * values.count / columns, end = max(start + 1, (c + 1) * values.count / columns)
            let slice = values[start..<end].filter(\.isFinite)
            guard !slice.isEmpty else { out.append("?"); continue }
            let mean = slice.reduce(0, +) / Double(slice.count)
            let level = hi > lo ? Int(((mean - lo) / (hi - lo) * 7).rounded()) : 3
            out.append(blocks[max(0, min(7, level))])
        }
        return out
    }
}
