/// JSON ↔ `StateValue`, keeping what Foundation's JSONSerialization loses: key order, and the
/// difference between `0` (int) and `0.0` (double) that PyTorch's configs and state keep.
///
/// Numbers without `.`, `e` or `E` become `.int` (refused outside Int64); other numbers
/// `.double` (refused when too large for one). `NaN`, `Infinity` and `-Infinity` are accepted
/// and written, as Python's `json` module does. Parsing is strict where Python's is lenient
/// (lone surrogates, duplicate keys): `JSONParser` lists every rule; errors name the byte offset.
/// Doubles are written in Swift's shortest round-trip form, so they parse back bit for bit.
public enum JSON {
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var offset: Int
        public var message: String
        public var description: String { "invalid JSON at byte \(offset): \(message)" }
    }

    /// Parses one JSON value (surrounding white space allowed). Strict, for untrusted input:
    /// see `JSONParser` for what is refused and why.
    public static func parse(_ text: String) throws -> StateValue {
        var parser = JSONParser(Array(text.utf8))
        return try parser.parseDocument()
    }

    /// Writes `value` as JSON. `pretty` indents by two spaces. Tensors become
    /// `{"dtype": ..., "shape": [...], "data": [...]}` (float16 and bfloat16 as their bit patterns).
    /// `nonFiniteAsStrings` writes NaN and ±Infinity as the strings `"NaN"`, `"Infinity"`,
    /// `"-Infinity"`, for strict JSON parsers that reject Python's bare tokens.
    public static func string(_ value: StateValue, pretty: Bool = false, nonFiniteAsStrings: Bool = false) -> String {
        var out = ""
        write(value, into: &out, pretty: pretty, indent: 0, nonFiniteAsStrings: nonFiniteAsStrings)
        return out
    }

    /// A double in the form `string(_:)` writes: shortest round trip, Python's spellings for
    /// non-finite values.
    public static func number(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        return "\(d)"
    }

    static func write(_ value: StateValue, into out: inout String, pretty: Bool, indent: Int, nonFiniteAsStrings: Bool = false) {
        func write(_ value: StateValue, into out: inout String, pretty: Bool, indent: Int) {
            JSON.write(value, into: &out, pretty: pretty, indent: indent, nonFiniteAsStrings: nonFiniteAsStrings)
        }
        switch value {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d) where nonFiniteAsStrings && !d.isFinite: writeString(number(d), into: &out)
        case .double(let d): out += number(d)
        case .string(let s): writeString(s, into: &out)
        case .list(let a), .tuple(let a):
            writeArray(a.count, into: &out, pretty: pretty, indent: indent) { i, o in
                write(a[i], into: &o, pretty: pretty, indent: indent + 1)
            }
        case .dict(let d):
            let keys = d.keys
            if keys.isEmpty { out += "{}"; return }
            out += "{"
            for (i, k) in keys.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                writeString(k, into: &out)
                out += pretty ? ": " : ":"
                write(d[k]!, into: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "}"
        case .tensor(let t):
            let data: [StateValue]
            switch t.storage {
            case .float32(let a): data = a.map { .double(Double($0)) }
            case .float64(let a): data = a.map { .double($0) }
            case .float16(let a), .bfloat16(let a): data = a.map { .int(Int64($0)) }
            case .int64(let a): data = a.map { .int($0) }
            case .int32(let a): data = a.map { .int(Int64($0)) }
            case .int16(let a): data = a.map { .int(Int64($0)) }
            case .int8(let a): data = a.map { .int(Int64($0)) }
            case .uint8(let a): data = a.map { .int(Int64($0)) }
            case .bool(let a): data = a.map { .bool($0) }
            }
            let obj: StateDict = [
                "dtype": .string(t.dtype.rawValue),
                "shape": .list(t.shape.map { .int(Int64($0)) }),
                "data": .list(data),
            ]
            write(.dict(obj), into: &out, pretty: pretty, indent: indent)
        }
    }

    private static func writeArray(
        _ n: Int, into out: inout String, pretty: Bool, indent: Int,
        _ element: (Int, inout String) -> Void
    ) {
        out += "["
        for i in 0..<n {
            if i > 0 { out += pretty ? ", " : "," }
            element(i, &out)
        }
        out += "]"
    }

    static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        out += "\""
    }
}
