import Ckpt
import Foundation

/// `DIR/lr.svg`: the seed's "learning rate's curve", one line per param group over the
/// optimizer steps of the whole run.
enum LRCurve {
    static func write(_ progress: RunProgress, to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let rows = progress.lrHistory
        let groups = rows.first?.count ?? 0
        let (w, h, pad) = (640.0, 360.0, 50.0)
        let maxLR = rows.flatMap { $0 }.max() ?? 1
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\">"
        svg += "<text x=\"\(w / 2)\" y=\"20\" text-anchor=\"middle\">learning rate</text>"
        for g in 0..<groups {
            let pts = rows.enumerated().map { k, r in
                "\(pad + (w - 2 * pad) * Double(k) / Double(max(rows.count - 1, 1))),\(h - pad - (h - 2 * pad) * r[g] / maxLR)"
            }
            svg += "<polyline fill=\"none\" stroke=\"black\" points=\"\(pts.joined(separator: " "))\"/>"
        }
        svg += "</svg>\n"
        do {
            try svg.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw RunError.file(path, "cannot write the lr plot: \(error.localizedDescription)")
        }
    }
}
