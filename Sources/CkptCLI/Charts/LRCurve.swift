import Ckpt
import Foundation

/// `DIR/lr.svg`: the seed's "learning rate's curve", the lr each optimizer step used, one
/// line per param group, over the whole run (a resumed run's history included). The series
/// are `StepSeries.lr`, the same as `ckpt plot` draws.
enum LRCurve {
    static func write(_ progress: RunProgress, to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        do {
            try AtomicFile.write(chart(progress).render(), to: path)
        } catch let e as CheckpointError {
            throw RunError.file(path, "cannot write the lr plot: \(e.failureWithoutFile)")
        }
    }

    /// The chart `write` draws.
    static func chart(_ progress: RunProgress) -> SVGChart {
        SVGChart(title: "learning rate (\(Format.count(progress.globalStep, "step")), \(Format.count(progress.epoch, "epoch")))",
                 xLabel: "optimizer step", yLabel: "learning rate", series: StepSeries.lr(progress))
    }
}
