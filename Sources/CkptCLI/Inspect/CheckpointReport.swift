import CkptCore
import CkptFormat

/// What `ckpt inspect` shows of a checkpoint, section by section. Each section yields its JSON
/// facts and its text lines from the same values, so `--json` and the text never disagree.
///
/// `checkpoint` may be an outline's tree (`CheckpointOutline`): large tensors are stand-ins
/// (shape and dtype, no data), so sizes come from shapes and statistics from `statistics`,
/// computed beforehand one tensor at a time (`InspectCommand`).
struct CheckpointReport {
    var file: String
    var checkpoint: Checkpoint
    var stats: Bool
    /// With `stats`: each shown tensor's statistics, by path ("model/fc1.weight").
    var statistics: [String: TensorStatistics] = [:]
    /// Width of the terminal charts, in characters.
    var chartWidth = 40

    /// One section's facts: JSON and text.
    struct Part {
        var json: StateValue
        var lines: [String]
    }

    /// The whole checkpoint: file facts, config, model, optimizer, scheduler, progress, rng.
    func full() -> Part {
        var json = StateDict()
        var lines: [String] = []
        json["file"] = .string(file)
        json["kind"] = "checkpoint"
        let parts: [(String, Part?)] = [
            ("metadata", metadata()), ("model", model()), ("optimizer", optimizer()),
            ("scheduler", scheduler()), ("progress", progress()), ("rng", rng()),
            ("averaged_model", averagedModel()), ("swa_scheduler", swaScheduler()), ("optimizers", optimizers()),
        ]
        for (name, part) in parts {
            guard let part else { continue }
            if name == "metadata", let d = part.json.dictValue {
                for (k, v) in d { json[k] = v }
            } else {
                json[name] = part.json
            }
            if !lines.isEmpty { lines.append("") }
            lines += part.lines
        }
        return Part(json: .dict(json), lines: lines)
    }

    /// One section by name, `nil` when the checkpoint has no such section.
    func section(_ name: String) -> Part? {
        switch name {
        case "metadata": metadata()
        case "model": model()
        case "optimizer": optimizer()
        case "scheduler": scheduler()
        case "progress": progress()
        case "rng": rng()
        case "averaged_model": averagedModel()
        case "swa_scheduler": swaScheduler()
        case "optimizers": optimizers()
        default: nil
        }
    }

    // MARK: sections

    func metadata() -> Part {
        let m = checkpoint.metadata
        var json = StateDict()
        var lines: [String] = []
        if let version = m["format_version"].map(Format.value) {
            lines.append("\(file): ckpt checkpoint, format version \(version)")
        } else {
            // A file of another format read as a checkpoint (.pt, .safetensors, DCP, Hugging Face).
            lines.append("\(file): checkpoint read from \(m["created_by"]?.stringValue ?? "another format")")
        }
        var facts = TextTable([])
        for (key, value) in m where key != "config" {
            json[key] = value.jsonSummary
            if key != "format" && key != "format_version" { facts.add([key, Format.clipped(value.stringValue ?? Format.value(value))]) }
        }
        lines += facts.lines()
        if let config = m["config"] {
            if let text = config.stringValue, let parsed = try? JSON.parse(text) {
                json["config"] = parsed
                lines.append("config:")
                lines += JSON.string(parsed, pretty: true).split(separator: "\n").map { "  " + $0 }
            } else {
                json["config"] = config.jsonSummary
                lines.append("config: \(Format.clipped(Format.value(config)))")
            }
        }
        return Part(json: .dict(json), lines: lines)
    }

    func model() -> Part {
        var entries: [StateValue] = []
        var elements = 0, bytes = 0
        var table = TextTable(["name", "dtype", "shape", "size"] + (stats ? ["min", "max", "mean", "std", "nan", "inf"] : []),
                              rightAligned: Set(3..<10))
        var lastPrefix: String?
        for (name, value) in checkpoint.model {
            guard let t = value.tensorValue else {
                entries.append(.dict(["name": .string(name), "value": value.jsonSummary]))
                table.add([name, value.kindName])
                continue
            }
            let count = CheckpointOutline.elementCount(t)
            elements += count
            bytes += count * t.dtype.size
            var entry: StateDict = ["name": .string(name), "dtype": .string(t.dtype.rawValue),
                                    "shape": t.shape.shapeJSON, "size": .int(Int64(count))]
            var cells = [t.dtype.rawValue, Format.shape(t.shape), "\(count)"]
            if stats, let s = statistics["model/" + name] {
                entry["stats"] = s.json
                cells += s.cells
            }
            entries.append(.dict(entry))
            // A tree by module: `conv1` on its own row, then `  weight`, `  bias`.
            if let dot = name.lastIndex(of: ".") {
                let prefix = String(name[..<dot])
                if prefix != lastPrefix { table.add([prefix]) }
                lastPrefix = prefix
                table.add(["  " + name[name.index(after: dot)...]] + cells)
            } else {
                lastPrefix = nil
                table.add([name] + cells)
            }
        }
        let json: StateDict = ["tensors": .int(Int64(checkpoint.model.count)), "elements": .int(Int64(elements)),
                               "bytes": .int(Int64(bytes)), "entries": .list(entries)]
        let head = "model: \(Format.count(checkpoint.model.count, "tensor")), \(Format.count(elements, "element")), \(Format.bytes(bytes))"
        return Part(json: .dict(json), lines: [head] + table.lines())
    }

    func optimizer() -> Part? {
        guard let opt = checkpoint.optimizer else { return nil }
        let type = opt["type"]?.stringValue ?? "?"
        let groups = (opt["param_groups"]?.arrayValue ?? []).compactMap(\.dictValue)
        let state = opt["state"]?.dictValue ?? [:]
        var names: [String: (group: Int, name: String)] = [:]
        for (g, group) in groups.enumerated() {
            let params = group["params"]?.arrayValue ?? [], pnames = group["param_names"]?.arrayValue ?? []
            for (k, p) in params.enumerated() {
                if let i = p.intValue { names[String(i)] = (g, k < pnames.count ? pnames[k].stringValue ?? "?" : "?") }
            }
        }
        let paramCount = groups.reduce(0) { $0 + ($1["params"]?.arrayValue?.count ?? 0) }
        var lines = ["optimizer: \(type), \(Format.count(groups.count, "param group")), \(Format.count(paramCount, "parameter")), state for \(state.count)"]

        var keys: [String] = []
        for group in groups { for k in group.keys where !keys.contains(k) { keys.append(k) } }
        var table = TextTable(["key"] + groups.indices.map { "group \($0)" })
        for key in keys { table.add([key] + groups.map { $0[key].map { Format.cell($0) } ?? "-" }) }
        lines += table.lines()

        var stateJSON: [StateValue] = []
        var stateTable = TextTable(["param", "name", "group", "state"])
        for (key, value) in state {
            let owner = names[key]
            var entry: StateDict = ["index": Int64(key).map { .int($0) } ?? .string(key)]
            if let owner { entry["param_name"] = .string(owner.name); entry["group"] = .int(Int64(owner.group)) }
            entry["entries"] = value.jsonSummary
            stateJSON.append(.dict(entry))
            let slots = (value.dictValue ?? [:]).map { "\($0.key) \(Format.value($0.value))" }.joined(separator: ", ")
            stateTable.add([key, owner?.name ?? "?", owner.map { "\($0.group)" } ?? "?", slots])
        }
        if !state.isEmpty {
            lines.append("  state per parameter:")
            lines += stateTable.lines(indent: "    ")
        }
        let json: StateDict = ["type": .string(type), "param_groups": .list(groups.map { .dict($0) }), "state": .list(stateJSON)]
        return Part(json: .dict(json), lines: lines)
    }

    func scheduler() -> Part? {
        guard let s = checkpoint.scheduler else { return nil }
        return Part(json: s.jsonSummary(), lines: schedulerLines(s, title: "scheduler", indent: ""))
    }

    func swaScheduler() -> Part? {
        guard let s = checkpoint.swaScheduler else { return nil }
        return Part(json: s.jsonSummary(), lines: schedulerLines(s, title: "swa_scheduler", indent: ""))
    }

    private func schedulerLines(_ s: StateDict, title: String, indent: String) -> [String] {
        var head = "\(indent)\(title): \(s["type"]?.stringValue ?? "?")"
        if let e = s["last_epoch"] { head += ", last_epoch \(Format.value(e))" }
        if let l = s["_last_lr"] { head += ", last lr \(Format.value(l))" }
        var lines = [head]
        var table = TextTable([])
        for (key, value) in s where !["type", "last_epoch", "_last_lr", "_schedulers"].contains(key) {
            table.add([key, Format.value(value)])
        }
        lines += table.lines(indent: indent + "  ")
        for (k, child) in (s["_schedulers"]?.arrayValue ?? []).enumerated() {
            if let d = child.dictValue { lines += schedulerLines(d, title: "_schedulers[\(k)]", indent: indent + "  ") }
        }
        return lines
    }

    /// `/progress` as its one parser (`RunProgress`) reads it; a section it refuses is shown
    /// raw under the parser's error, so a damaged file can still be looked at.
    func progress() -> Part? {
        guard let p = checkpoint.progress else { return nil }
        let known = ["epoch", "global_step", "batch", "lr", "loss"]
        var json = StateDict()
        var lines: [String]
        do {
            let run = try RunProgress(stateDict: p, groups: checkpoint.paramGroupCount)
            var head = "progress: epoch \(run.epoch), global step \(run.globalStep)"
            json["epoch"] = .int(Int64(run.epoch))
            json["global_step"] = .int(Int64(run.globalStep))
            if p["batch"] != nil {
                head += ", batch \(run.batch)"
                json["batch"] = .int(Int64(run.batch))
            }
            lines = [head]
            // One row per series: label, first value, sparkline, last value, step count.
            var charts = TextTable([], rightAligned: [1])
            if p["lr"] != nil {
                let columns = StepSeries.lrColumns(run)
                var series: [StateValue] = []
                for (g, column) in columns.enumerated() {
                    series.append(seriesJSON(column))
                    charts.add(chartRow(columns.count == 1 ? "lr" : "lr[\(g)]", column))
                }
                json["lr"] = .dict(["steps": .int(Int64(run.globalStep)), "groups": .int(Int64(columns.count)), "per_group": .list(series)])
            }
            if p["loss"] != nil {
                let values = run.lossHistory.map(Double.init)
                json["loss"] = seriesJSON(values)
                charts.add(chartRow("loss", values))
            }
            lines += charts.lines()
        } catch {
            let message = CommandRunner.message(for: error)
            json["error"] = .string(message)
            lines = ["progress: unreadable (\(message))"]
            for key in known { if let v = p[key] { json[key] = v.jsonSummary; lines.append("  \(key) \(Format.value(v))") } }
        }
        for (key, value) in p where !known.contains(key) {
            json[key] = value.jsonSummary
            lines.append("  \(key) \(Format.value(value))")
        }
        return Part(json: .dict(json), lines: lines)
    }

    private func seriesJSON(_ v: [Double]) -> StateValue {
        let finite = v.filter(\.isFinite)
        return .dict(["steps": .int(Int64(v.count)), "first": v.first.map { .double($0) } ?? .none,
                      "last": v.last.map { .double($0) } ?? .none,
                      "min": finite.min().map { .double($0) } ?? .none, "max": finite.max().map { .double($0) } ?? .none])
    }

    private func chartRow(_ label: String, _ v: [Double]) -> [String] {
        guard let first = v.first, let last = v.last else { return [label, "", "(no steps)"] }
        return [label, Format.short(first), Sparkline.render(v, width: chartWidth), Format.short(last), "(\(Format.count(v.count, "step")))"]
    }

    func rng() -> Part? {
        guard let r = checkpoint.rng else { return nil }
        var table = TextTable([])
        for (k, v) in r { table.add([k, Format.value(v)]) }
        return Part(json: r.jsonSummary(), lines: ["rng: \(Format.count(r.count, "entry"))"] + table.lines())
    }

    // MARK: one path

    /// The value at `path` (`model/fc1.weight`, `optimizer/param_groups/0`, `scheduler/gamma`),
    /// or `nil` when the checkpoint holds nothing there.
    func value(at path: [String]) -> StateValue? {
        guard let first = path.first, let section = checkpoint.section(named: first) else { return nil }
        var value = StateValue.dict(section)
        for part in path.dropFirst() {
            if let d = value.dictValue, let next = d[part] {
                value = next
            } else if let a = value.arrayValue, let i = Int(part), a.indices.contains(i) {
                value = a[i]
            } else {
                return nil
            }
        }
        return value
    }

    /// The tensors whose statistics the report for `path` shows (none empty: the whole file,
    /// which shows the model's): the model's for the whole file or `model`, else the one tensor
    /// at `path`.
    func tensorsShown(_ path: [String]) -> [(path: String, tensor: TensorData)] {
        if path.isEmpty || path == ["model"] { return checkpoint.model.tensors(root: "model") }
        if let t = value(at: path)?.tensorValue { return [(path.joined(separator: "/"), t)] }
        return []
    }

    /// The report for one entry: a tensor's facts (and statistics with `--stats`, values when
    /// small), or a subtree listed key by key.
    func entry(_ value: StateValue, path: String) -> Part {
        if let t = value.tensorValue {
            let count = CheckpointOutline.elementCount(t)
            var json: StateDict = ["path": .string(path), "dtype": .string(t.dtype.rawValue),
                                   "shape": t.shape.shapeJSON, "size": .int(Int64(count))]
            var lines = ["\(path): \(t.dtype.rawValue) \(Format.shape(t.shape)), \(Format.count(count, "element")), \(Format.bytes(count * t.dtype.size))"]
            if stats, let s = statistics[path] {
                json["stats"] = s.json
                var table = TextTable(["min", "max", "mean", "std", "nan", "inf"], rightAligned: Set(0..<6))
                table.add(s.cells)
                lines += table.lines()
            }
            if count <= 16, t.count == count {  // small tensors are never stand-ins
                json["values"] = .list(t.doubleElements.map { .double($0) })
                lines.append("  values: " + t.doubleElements.map(Format.short).joined(separator: ", "))
            }
            return Part(json: .dict(json), lines: lines)
        }
        var lines = ["\(path):"]
        listing(value, indent: "  ", into: &lines)
        return Part(json: .dict(["path": .string(path), "value": value.jsonSummary]), lines: lines)
    }

    private func listing(_ value: StateValue, indent: String, into lines: inout [String]) {
        let children: [(String, StateValue)]
        if let d = value.dictValue { children = d.map { ($0.key, $0.value) } } else if let a = value.arrayValue, a.contains(where: { $0.dictValue != nil }) {
            children = a.enumerated().map { ("\($0.offset)", $0.element) }
        } else {
            lines.append(indent + Format.value(value))
            return
        }
        for (k, v) in children {
            if v.dictValue != nil || (v.arrayValue?.contains { $0.dictValue != nil } ?? false) {
                lines.append("\(indent)\(k)/")
                listing(v, indent: indent + "  ", into: &lines)
            } else {
                lines.append("\(indent)\(k)  \(Format.value(v))")
            }
        }
    }
}

extension StateDict {
    func jsonSummary() -> StateValue { StateValue.dict(self).jsonSummary }
}

extension String {
    /// `self` padded with spaces to `width` (at least one space after it), for FileTreeReport's
    /// h5ls-style listing; tables go through `TextTable`.
    func padded(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
    var replacingUnderscores: String { replacingOccurrences(of: "_", with: " ") }
}
