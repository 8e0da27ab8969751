import CkptCore
import CkptFormat

/// The text and JSON forms of a `CheckpointDiff`. Same diff, same output: everything is
/// listed in the diff's deterministic order.
struct DiffReport {
    var fileA: String
    var fileB: String
    var diff: CheckpointDiff

    // MARK: JSON

    func json() -> StateValue {
        let o = diff.options
        var d: StateDict = [
            "a": .string(fileA), "b": .string(fileB),
            "atol": .double(o.tolerance.atol), "rtol": .double(o.tolerance.rtol),
            "exclude": .list(o.exclude.map { .string($0) }),
            "identical": .bool(diff.isIdentical), "differences": .int(Int64(diff.differenceCount)),
        ]
        d["creation"] = .list(diff.creation.map(valueJSON))
        d["tensors"] = .list(diff.tensors.map(tensorJSON))
        d["values"] = .list(diff.values.map(valueJSON))
        d["histories"] = .list(diff.histories.map(historyJSON))
        return .dict(d)
    }

    /// `identical`, `differs`, `only_in_a`, `only_in_b`, `shape` or `dtype`.
    static func status(_ e: CheckpointDiff.TensorEntry) -> String {
        if e.onlyInA { return "only_in_a" }
        if e.onlyInB { return "only_in_b" }
        if e.shapeDiffers { return "shape" }
        if e.dtypeDiffers { return "dtype" }
        return e.isDifference ? "differs" : "identical"
    }

    private func tensorJSON(_ e: CheckpointDiff.TensorEntry) -> StateValue {
        var d: StateDict = ["path": .string(e.path), "status": .string(Self.status(e))]
        if let a = e.a { d["a"] = .dict(["dtype": .string(a.dtype.rawValue), "shape": a.shape.shapeJSON]) }
        if let b = e.b { d["b"] = .dict(["dtype": .string(b.dtype.rawValue), "shape": b.shape.shapeJSON]) }
        if let x = e.difference {
            d["elements"] = .int(Int64(x.count))
            d["differing"] = .int(Int64(x.differing))
            d["max_abs"] = .double(x.maxAbs)
            d["max_rel"] = .double(x.maxRel)
            d["nan_mismatches"] = .int(Int64(x.nanMismatches))
            d["inf_mismatches"] = .int(Int64(x.infMismatches))
            if let f = x.first {
                d["first"] = .dict(["index": .int(Int64(f.index)), "a": e.firstElements?.a ?? .double(f.a),
                                    "b": e.firstElements?.b ?? .double(f.b)])
            }
        }
        return .dict(d)
    }

    private func valueJSON(_ e: CheckpointDiff.ValueEntry) -> StateValue {
        var d: StateDict = ["path": .string(e.path)]
        if let a = e.a { d["a"] = a.jsonSummary }
        if let b = e.b { d["b"] = b.jsonSummary }
        d["differs"] = .bool(e.differs)
        return .dict(d)
    }

    private func historyJSON(_ h: CheckpointDiff.HistoryEntry) -> StateValue {
        var d: StateDict = ["path": .string(h.path), "steps_a": .int(Int64(h.stepsA)), "steps_b": .int(Int64(h.stepsB)),
                            "groups_a": .int(Int64(h.groupsA)), "groups_b": .int(Int64(h.groupsB)),
                            "differing_steps": .int(Int64(h.differingSteps))]
        if let f = h.first {
            var first: StateDict = ["step": .int(Int64(f.step)), "group": .int(Int64(f.group))]
            if let a = f.a { first["a"] = .double(a) }
            if let b = f.b { first["b"] = .double(b) }
            d["first"] = .dict(first)
        } else {
            d["first"] = StateValue.none
        }
        d["differs"] = .bool(h.isDifference)
        return .dict(d)
    }

    // MARK: text

    func lines() -> [String] {
        let t = diff.options.tolerance
        let mode = t.isExact ? "exact comparison" : "atol \(Format.exact(t.atol)), rtol \(Format.exact(t.rtol))"
        var out = ["A: \(fileA)", "B: \(fileB)", "(\(mode)\(diff.options.exclude.isEmpty ? "" : "; excluding " + diff.options.exclude.joined(separator: ", ")))"]
        for c in diff.creation {
            let show = { (v: StateValue?) in v.map { $0.stringValue ?? Format.value($0) } ?? "-" }
            out.append("\(c.path.dropFirst("metadata/".count)): A \(show(c.a)), B \(show(c.b)) (not compared)")
        }
        for v in diff.values where v.path.hasPrefix("metadata/") && v.differs { out += valueLines(v, indent: "") }
        for section in ["model", "optimizer", "scheduler", "progress", "rng", "averaged_model", "swa_scheduler", "optimizers"] where !diff.options.excludes(section) {
            out += sectionLines(section)
        }
        let n = diff.differenceCount
        out.append(n == 0 ? "identical" : "\(Format.count(n, "difference")) found")
        return out
    }

    private func inSection(_ path: String, _ section: String) -> Bool { path.hasPrefix(section + "/") }

    private func sectionLines(_ section: String) -> [String] {
        let tensors = diff.tensors.filter { inSection($0.path, section) }
        let values = diff.values.filter { inSection($0.path, section) }
        let histories = diff.histories.filter { inSection($0.path, section) }
        if tensors.isEmpty && values.isEmpty && histories.isEmpty { return [] }
        let differing = tensors.filter(\.isDifference)
        var head = section
        if section == "optimizer" || section.hasSuffix("scheduler"), let type = values.first(where: { $0.path == "\(section)/type" }) {
            let a = type.a.map { $0.stringValue ?? Format.value($0) } ?? "-", b = type.b.map { $0.stringValue ?? Format.value($0) } ?? "-"
            head += " (" + (type.differs ? "\(a) vs \(b)" : a) + ")"
        }
        head += ":"
        if !tensors.isEmpty {
            head += " \(Format.count(tensors.count, "tensor")), " + (differing.isEmpty ? "all identical" : "\(differing.count) differ")
        }
        var out = [head]
        for e in differing { out.append("  " + tensorLine(e, section: section)) }
        if section == "optimizer" {
            out += sideBySide(values.filter { $0.path.hasPrefix("optimizer/param_groups/") }, title: "param groups",
                              drop: "optimizer/param_groups/", groupColumn: true)
            for v in values where !v.path.hasPrefix("optimizer/param_groups/") && v.path != "optimizer/type" && v.differs {
                out += valueLines(v, indent: "  ")
            }
        } else if section == "scheduler" {
            out += sideBySide(values.filter { $0.path != "scheduler/type" }, title: "keys", drop: "scheduler/", groupColumn: false)
        } else {
            for v in values where v.differs { out += valueLines(v, indent: "  ", relativeTo: section) }
        }
        if section == "progress" {
            for h in histories { out.append("  " + historyLine(h)) }
        }
        return out
    }

    private func tensorLine(_ e: CheckpointDiff.TensorEntry, section: String) -> String {
        let name = String(e.path.dropFirst(section.count + 1))
        func describe(_ s: CheckpointDiff.TensorSummary?) -> String { s.map { "\($0.dtype.rawValue) \(Format.shape($0.shape))" } ?? "-" }
        if e.onlyInA { return "\(name): only in A (\(describe(e.a)))" }
        if e.onlyInB { return "\(name): only in B (\(describe(e.b)))" }
        if e.shapeDiffers { return "\(name): shape \(Format.shape(e.a!.shape)) vs \(Format.shape(e.b!.shape))" }
        var line = "\(name): "
        if e.dtypeDiffers { line += "dtype \(e.a!.dtype.rawValue) vs \(e.b!.dtype.rawValue); " } else { line += "\(describe(e.a)): " }
        guard let x = e.difference else { return line }
        if x.isClose { return line + "values equal" }
        line += "\(x.differing) of \(x.count) elements differ, max abs \(Format.short(x.maxAbs)), max rel \(Format.short(x.maxRel))"
        if x.nanMismatches > 0 { line += ", " + Format.count(x.nanMismatches, "NaN mismatch") }
        if x.infMismatches > 0 { line += ", " + Format.count(x.infMismatches, "Inf mismatch") }
        if let f = x.first, let shape = e.a?.shape {
            let values = e.firstElements.map { ($0.a, $0.b) } ?? (.double(f.a), .double(f.b))
            line += "; first at \(Format.shape(Self.unravel(f.index, shape))): \(Format.element(values.0, e.a?.dtype)) vs \(Format.element(values.1, e.b?.dtype))"
        }
        return line
    }

    /// Row-major flat index to a multi-index of `shape`.
    static func unravel(_ flat: Int, _ shape: [Int]) -> [Int] {
        var rest = flat
        var index = Array(repeating: 0, count: shape.count)
        for d in shape.indices.reversed() where shape[d] > 0 {
            index[d] = rest % shape[d]
            rest /= shape[d]
        }
        return index
    }

    /// A table of values on both sides, `*` marking differences. With `groupColumn`, the first
    /// path component after `drop` is shown as a group column (param group index).
    private func sideBySide(_ values: [CheckpointDiff.ValueEntry], title: String, drop: String, groupColumn: Bool) -> [String] {
        guard !values.isEmpty else { return [] }
        var table = TextTable(groupColumn ? ["group", "key", "A", "B", ""] : ["key", "A", "B", ""])
        for v in values {
            let rest = String(v.path.dropFirst(drop.count))
            var cells: [String]
            if groupColumn, let slash = rest.firstIndex(of: "/") {
                cells = [String(rest[..<slash]), String(rest[rest.index(after: slash)...])]
            } else {
                cells = groupColumn ? ["", rest] : [rest]
            }
            cells += [v.a.map { Format.cell($0) } ?? "-", v.b.map { Format.cell($0) } ?? "-", v.differs ? "*" : ""]
            table.add(cells)
        }
        // Differing values too long for a cell follow the table in full.
        let long = values.filter { v in v.differs && [v.a, v.b].contains { $0.map { Format.cell($0) != Format.value($0) } ?? false } }
        return ["  \(title):"] + table.lines(indent: "    ") + long.flatMap { valueLines($0, indent: "    ") }
    }

    private func valueLines(_ v: CheckpointDiff.ValueEntry, indent: String, relativeTo section: String? = nil) -> [String] {
        let a = v.a.map(Format.value) ?? "-", b = v.b.map(Format.value) ?? "-"
        let name = section.map { String(v.path.dropFirst($0.count + 1)) } ?? v.path
        if a.count + b.count > 60 {
            return ["\(indent)\(name) differs:", "\(indent)  A: \(a)", "\(indent)  B: \(b)"]
        }
        return ["\(indent)\(name): \(a) vs \(b)"]
    }

    private func historyLine(_ h: CheckpointDiff.HistoryEntry) -> String {
        let name = h.path.dropFirst("progress/".count)
        guard h.isDifference else { return "\(name): identical for \(Format.count(h.stepsA, "step"))" }
        var line = "\(name):"
        if h.groupsA != h.groupsB { line += " \(h.groupsA) vs \(h.groupsB) groups;" }
        if h.stepsA != h.stepsB { line += " \(h.stepsA) vs \(h.stepsB) steps;" }
        if let f = h.first {
            line += " first differs at step \(f.step)" + (h.groupsA > 1 || h.groupsB > 1 ? ", group \(f.group)" : "")
            let show = { (v: Double?) in v.map { Format.element(.double($0), h.dtype) } ?? "(none)" }
            line += ": \(show(f.a)) vs \(show(f.b))"
            if h.differingSteps > 0 { line += " (\(h.differingSteps) of \(min(h.stepsA, h.stepsB)) common steps differ)" }
        }
        return line
    }
}
