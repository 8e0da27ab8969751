import CkptCore
import Foundation

/// How numbers and values read in text output. JSON output uses `JSON.string` instead.
enum Format {
    /// A double as Python's `repr` would write it (shortest round trip): `0.001`, `1e-05`.
    static func exact(_ d: Double) -> String { JSON.number(d) }

    /// An element of a tensor of `dtype`, as that dtype's shortest round trip (a float32
    /// `0.058` prints as `0.058`, not as its widened double `0.058000002056360245`).
    static func element(_ v: StateValue, _ dtype: DType?) -> String {
        switch v {
        case .double(let d):
            if (dtype == .float32 || dtype == .float16 || dtype == .bfloat16) && d.isFinite { return "\(Float(d))" }
            return exact(d)
        default: return value(v)
        }
    }

    /// A double with 6 significant digits, for statistics and differences.
    static func short(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        return String(format: "%.6g", d)
    }

    /// `text` cut to its first `limit` characters, saying how long it is, for a table cell: a
    /// 16 MiB attribute is one screen line, not 16 MiB of output (`--json` shows it whole).
    static func clipped(_ text: String, limit: Int = 200) -> String {
        guard text.utf8.count > limit else { return text }
        let head = text.prefix(limit)
        guard head.endIndex < text.endIndex else { return text }
        return "\(head)… (\(text.count) characters; --json shows all)"
    }

    static func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }

    /// A state value in one line: Python-like spellings for scalars, JSON for lists and dicts,
    /// and `float32 [3, 2]` for tensors.
    static func value(_ v: StateValue) -> String {
        switch v {
        case .tensor(let t):
            // One-element tensors (an optimizer's `step`) show their value.
            let v = t.count == 1 ? " = " + short(t.doubleElements[0]) : ""
            return "\(t.dtype.rawValue) \(shape(t.shape))" + v
        case .double(let d): return exact(d)
        case .bool(let b): return b ? "True" : "False"
        case .none: return "None"
        case .string(let s): return JSON.string(.string(s))
        case .list(let a): return "[" + a.map(value).joined(separator: ", ") + "]"
        case .tuple(let a): return "(" + a.map(value).joined(separator: ", ") + (a.count == 1 ? ",)" : ")")
        case .dict(let d):
            let body = "{" + d.map { "\($0.key): \(value($0.value))" }.joined(separator: ", ") + "}"
            return d.pythonClass.map { "\($0.rawValue)(\(body))" } ?? body
        default: return JSON.string(v)
        }
    }

    /// `value(v)` cut to about `width` characters for a table cell: a long list keeps its
    /// first items and says how many there are (`["conv1.weight", "conv1.bias", … 10 items]`).
    static func cell(_ v: StateValue, width: Int = 48) -> String {
        let full = value(v)
        guard full.count > width else { return full }
        if let items = v.arrayValue {
            var out = ""
            for item in items {
                let next = (out.isEmpty ? "" : ", ") + value(item)
                if out.count + next.count > width - 14 { break }
                out += next
            }
            return "[\(out), … \(items.count) items]"
        }
        return String(full.prefix(width - 1)) + "…"
    }

    /// `n` followed by `noun`, in the plural unless `n == 1`: "1 batch", "2 batches",
    /// "3 param groups". The one pluralizer of the CLI's text.
    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(n == 1 ? noun : plural(noun))" }

    /// The English plural of `noun` (of its last word): -s, -x, -z, -ch, -sh take -es
    /// ("batch" → "batches", "mismatch" → "mismatches"), a consonant + y becomes -ies
    /// ("entry" → "entries"), anything else takes -s ("param group" → "param groups");
    /// `exceptions` holds the words that break these rules ("epoch" → "epochs").
    static func plural(_ noun: String) -> String {
        let lower = noun.lowercased()
        let exceptions = ["epoch": "epochs", "index": "indices"]
        if let last = lower.split(separator: " ").last, let p = exceptions[String(last)] {
            return noun.dropLast(last.count) + p
        }
        if ["s", "x", "z", "ch", "sh"].contains(where: lower.hasSuffix) { return noun + "es" }
        if lower.hasSuffix("y"), let before = lower.dropLast().last, !"aeiou".contains(before) {
            return noun.dropLast() + "ies"
        }
        return noun + "s"
    }

    /// `text` with control characters (C0 but tab and newline, DEL, C1) written as `\u001b`,
    /// so a name from a file or config (a NUL, an ESC sequence) cannot reach the terminal raw.
    static func escapingControlCharacters(_ text: String, keepNewlines: Bool = true) -> String {
        func isControl(_ u: Unicode.Scalar) -> Bool {
            (u.value < 0x20 && u != "\t" && !(keepNewlines && u == "\n")) || (0x7F...0x9F).contains(u.value)
        }
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        for u in text.unicodeScalars {
            if isControl(u) {
                let hex = String(u.value, radix: 16)
                out.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).unicodeScalars)
            } else {
                out.append(u)
            }
        }
        return String(out)
    }

    /// Bytes in B, KiB, MiB or GiB.
    static func bytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n), u = 0
        while v >= 1024, u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
    }
}

extension StateValue {
    /// A JSON-friendly copy: tensors become `{dtype, shape}` summaries (no data).
    var jsonSummary: StateValue {
        mapValues { v in
            guard case .tensor(let t) = v else { return v }
            return .dict(["dtype": .string(t.dtype.rawValue), "shape": .list(t.shape.map { .int(Int64($0)) })])
        }
    }
}

extension Array where Element == Int {
    var shapeJSON: StateValue { .list(map { .int(Int64($0)) }) }
}
