import Ckpt
import Foundation

/// Shows a training run's progress: on a terminal a one-line bar redrawn in place (epoch,
/// batch, loss, lr, images/s, time left) above which the seed's lines scroll; otherwise plain
/// lines only (the seed's running-loss lines, one line per epoch, one per saved file), so a
/// log file stays readable. With `quiet` (JSON output on stdout) the bar and the lines go to stderr.
final class TrainingProgress {
    private let console: Console
    private let bar: Bool
    private let quiet: Bool
    private var epochs = 0
    private var perEpoch = 0
    private var lastDraw = 0.0
    private var drawn = false
    private var started = 0.0
    private var samplesSinceStart = 0
    private var stepsSinceStart = 0
    private var stepsLeftAtStart = 0

    /// `bar`: draw the progress bar (on stderr when `quiet`, else stdout).
    init(console: Console, bar: Bool, quiet: Bool) {
        self.console = console
        self.bar = bar
        self.quiet = quiet
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// A line for the log (stdout), clearing the bar first.
    func line(_ text: String) {
        clearBar()
        if quiet { console.printError(text) } else { console.print(text) }
    }

    /// The bar's own text and terminal escapes, unescaped.
    private func barWrite(_ text: String) {
        if quiet { console.writeError(text) } else { console.write(text) }
    }

    private func clearBar() {
        if drawn {
            barWrite("\r\u{1B}[2K")
            drawn = false
        }
    }

    /// Removes the bar (before the final summary).
    func finish() { clearBar() }

    func handle(_ event: Trainer.Event, run: Run) {
        switch event {
        case .started(let e, let b, _, _):
            epochs = e
            perEpoch = b
            started = Self.now()
            stepsLeftAtStart = (e - run.progress.epoch) * b - run.progress.batch
        case .step(let epoch, let batch, let loss, let lr, let samples):
            samplesSinceStart += samples
            stepsSinceStart += 1
            guard bar else { return }
            let t = Self.now()
            guard t - lastDraw >= 0.1 || batch == perEpoch else { return }
            lastDraw = t
            let elapsed = max(t - started, 1e-9)
            let rate = Double(samplesSinceStart) / elapsed
            let left = max(0, stepsLeftAtStart - stepsSinceStart)
            let eta = Double(left) * elapsed / Double(max(stepsSinceStart, 1))
            let width = 24
            let filled = perEpoch > 0 ? width * batch / perEpoch : width
            let gauge = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let lrText = lr.map { Self.short($0) }.joined(separator: ",")
            barWrite("\r\u{1B}[2Kepoch \(epoch + 1)/\(epochs) [\(gauge)] \(batch)/\(perEpoch) "
                + "loss \(String(format: "%.3f", loss)) lr \(lrText) \(Int(rate.rounded())) img/s ETA \(Self.duration(eta))")
            drawn = true
        case .runningLoss(let epoch, let batch, let loss):
            // The seed's `print(f'[{epoch + 1}, {i + 1:5d}] loss: {running_loss / 2000:.3f}')`.
            line("[\(epoch), \(String(format: "%5d", batch))] loss: \(String(format: "%.3f", loss))")
        case .epochEnd(let epoch, let trainLoss, let testLoss, let accuracy, let lr):
            var text = "epoch \(epoch)/\(epochs): train loss \(String(format: "%.3f", trainLoss))"
            if let testLoss, let accuracy, let n = run.testData?.count {
                text += ", test loss \(String(format: "%.3f", testLoss)), accuracy \(String(format: "%.1f", accuracy * 100)) % on \(Format.count(n, "test image"))"
            }
            text += ", lr " + lr.map { Self.short($0) }.joined(separator: ", ")
            line(text)
        case .averagedEvaluation(let epoch, let testLoss, let accuracy):
            line("epoch \(epoch)/\(epochs): averaged model: test loss \(String(format: "%.3f", testLoss)), accuracy \(String(format: "%.1f", accuracy * 100)) %")
        case .saved(let path):
            line("saved \(path)")
        case .pruned(let deleted, let warnings):
            deleted.forEach { line("removed \($0) (retention policy)") }
            warnings.forEach { console.printError("warning: \($0)") }
        case .nonFinite:
            break  // TrainingSession says it: a warning, or why the run stopped
        }
    }

    static func short(_ x: Double) -> String { String(format: "%.4g", x) }

    static func duration(_ s: Double) -> String {
        guard s.isFinite else { return "--:--" }
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }
}
