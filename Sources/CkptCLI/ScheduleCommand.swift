import ArgumentParser
import Ckpt
import Foundation

/// `ckpt schedule --config FILE --steps N [--json] [--plot FILE.svg]`: builds the optimizer
/// and scheduler from the config's `optimizer` and `scheduler` sections and steps both N
/// times without training, printing each group's lr (and momentum where a scheduler cycles
/// it). Row 0 is the lrs right after construction, row k after the k-th `scheduler.step()`.
/// ReduceLROnPlateau reads its metric for step k from the config's `"metrics": [...]`.
struct ScheduleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Print (or plot) the learning-rate schedule a config produces, without training.",
        discussion: """
            The config holds "optimizer" and "scheduler" sections, as a run config does \
            (param groups may omit "params": each entry is one group), e.g.
              {"optimizer": {"type": "SGD", "lr": 0.001, "momentum": 0.9},
               "scheduler": {"type": "ExponentialLR", "gamma": 0.9}}
            --json prints {"lr": [[...], ...]} (plus "momentum" when cycled) with doubles that \
            parse back bit for bit (NaN and ±Infinity as the strings "NaN", "Infinity", \
            "-Infinity"). Exit status 2 on a bad config.
            """)

    @Option(name: .long, help: "The JSON config file.")
    var config: String

    @Option(name: .long, help: "Number of scheduler steps.")
    var steps: Int

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    @Option(name: .long, help: "Also write the lr curve as an SVG chart to this file.")
    var plot: String?

    @Flag(name: .long, help: "Plot the lr on a logarithmic axis.")
    var logY = false

    static let maxSteps = 10_000_000

    func validate() throws {
        // Every step is a row kept in memory and printed: bounded like the config's numbers.
        guard (0...Self.maxSteps).contains(steps) else {
            throw ValidationError("--steps must be an integer in 0...\(Self.maxSteps), got \(steps)")
        }
    }

    func run() throws {
        try run { console in
            let result = try ScheduleRunner.run(configPath: config, steps: steps)
            if let plot {
                let chart = SVGChart(
                    title: "Learning rate: \(result.title)", xLabel: "scheduler step", yLabel: "learning rate",
                    series: (0..<result.groups).map { g in
                        SVGChart.Series(name: "param group \(g) lr", values: result.lr.map { $0[g] }, firstX: 0)
                    },
                    logY: logY)
                do {
                    try AtomicFile.write(chart.render(), to: plot)
                } catch let e as CheckpointError {
                    throw CLIError.file(plot, "cannot write the chart (\(e.failureWithoutFile))")
                }
            }
            if json {
                console.printJSON(result.json())
            } else {
                for line in result.table() { console.print(line) }
            }
            return .success
        }
    }
}

/// The lr (and cycled momentum) rows of a schedule.
struct ScheduleResult {
    var title: String
    var lr: [[Double]]
    var momentum: [[Double]]?
    var groups: Int { lr.first?.count ?? 0 }

    /// `{"lr": [[...], ...], "momentum": ...}`, one row per scheduler step.
    func json() -> StateValue {
        var d: StateDict = ["lr": .list(lr.map { .list($0.map { .double($0) }) })]
        if let momentum { d["momentum"] = .list(momentum.map { .list($0.map { .double($0) }) }) }
        return .dict(d)
    }

    /// The table's lines: step, then each group's lr (and momentum), numbers aligned right.
    func table() -> [String] {
        var header = ["step"] + (0..<groups).map { "lr[\($0)]" }
        if momentum != nil { header += (0..<groups).map { "momentum[\($0)]" } }
        var table = TextTable(header, rightAligned: Set(1..<header.count))
        for (k, r) in lr.enumerated() {
            var row = [String(k)] + r.map(JSON.number)
            if let m = momentum?[k] { row += m.map(JSON.number) }
            table.add(row)
        }
        return table.lines(indent: "")
    }
}

/// Builds and steps; every failure is a `CLIError` (bad input) whose one line names the
/// config file (when read from one) and the key.
enum ScheduleRunner {
    static func run(configPath: String, steps: Int) throws -> ScheduleResult {
        let root: StateValue
        do { root = try JSON.parse(contentsOf: configPath) } catch { throw CLIError.file(configPath, CommandRunner.message(for: error)) }
        guard case .dict(let config) = root else { throw CLIError.file(configPath, "expected a JSON object, found \(root.kindName)") }
        do {
            return try run(config: config, steps: steps)
        } catch let e as CLIError {
            throw CLIError.file(configPath, e.message)
        }
    }

    static func run(config: StateDict, steps: Int) throws -> ScheduleResult {
        guard let optValue = config["optimizer"] else { throw CLIError("optimizer: missing (an object with \"type\")") }
        guard case .dict(let optConfig) = optValue else {
            throw CLIError("optimizer: expected an object, found \(optValue.kindName)")
        }
        let optimizer: Optimizer
        do { optimizer = try makeScheduleOptimizer(config: optConfig) } catch { throw CLIError(CommandRunner.message(for: error)) }

        var schedValue = config["scheduler"]
        var metricsValue = config["metrics"]
        if case .dict(var d) = schedValue, let m = d.removeValue(forKey: "metrics") {
            metricsValue = m
            schedValue = .dict(d)
        }
        var metrics: [Double]?
        if let metricsValue, !metricsValue.isNone {
            guard let a = metricsValue.arrayValue, let ds = Optional(a.compactMap { PyNumber($0)?.value }), ds.count == a.count else {
                throw CLIError("metrics: expected a list of numbers, found \(metricsValue.kindName)")
            }
            metrics = ds
        }
        let scheduler: LRScheduler?
        do {
            scheduler = try makeScheduler(config: schedValue, optimizer: optimizer)?.scheduler
        } catch {
            throw CLIError(CommandRunner.message(for: error))
        }
        if scheduler is ReduceLROnPlateau {
            guard let metrics else { throw CLIError("metrics: missing (ReduceLROnPlateau needs one metric per step)") }
            guard metrics.count >= steps else {
                throw CLIError("metrics: has \(metrics.count) values, --steps \(steps) needs \(steps)")
            }
        }
        let cycled = scheduler.map(cyclesMomentum) ?? false
        var lr = [optimizer.paramGroups.map(\.lr)]
        var momentum: [[Double]]? = cycled ? [momentumRow(optimizer)] : nil
        for k in 0..<steps {
            do {
                try optimizer.step()
                try scheduler?.step(metrics: metrics?[k])
            } catch let e as SchedulerError {
                throw CLIError("scheduler: step \(k + 1): \(e.message)")
            } catch {
                throw CLIError("optimizer: step \(k + 1): \(CommandRunner.message(for: error))")
            }
            lr.append(optimizer.paramGroups.map(\.lr))
            if cycled { momentum?.append(momentumRow(optimizer)) }
        }
        return ScheduleResult(title: scheduler?.typeName ?? "constant", lr: lr, momentum: momentum)
    }

    static func cyclesMomentum(_ s: LRScheduler) -> Bool {
        switch s {
        case let c as CyclicLR: return c.cycleMomentum
        case let o as OneCycleLR: return o.cycleMomentum
        case let q as SequentialLR: return q.schedulers.contains(where: cyclesMomentum)
        case let c as ChainedScheduler: return c.schedulers.contains(where: cyclesMomentum)
        default: return false
        }
    }

    static func momentumRow(_ optimizer: Optimizer) -> [Double] {
        optimizer.paramGroups.map { g in
            if let b = g["betas"]?.arrayValue, let first = b.first?.doubleValue { return first }
            return g["momentum"]?.doubleValue ?? .nan
        }
    }
}
