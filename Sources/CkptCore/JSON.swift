/// JSON ↔ `StateValue`, keeping what Foundation's JSONSerialization loses: key order, and the
/// difference between `0` (int) and `0.0` (double) that PyTorch's configs and state keep.
///
/// Numbers without `.`, `e` or `E` that fit in Int64 become `.int`; other numbers `.double`.
/// `NaN`, `Infinity` and `-Infinity` are accepted and written, as Python's `json` module does.
/// Doubles are written in Swift's shortest round-trip form, so they parse back bit for bit.
public enum JSON {
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var offset: Int
        public var message: String
        public var description: String { "invalid JSON at byte \(offset): \(message)" }
    }

    /// Parses one JSON value (surrounding white space allowed).
    public static func parse(_ text: String) throws -> StateValue {
        var parser = Parser(bytes: Array(text.utf8))
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw parser.error("trailing characters") }
        return value
    }

    /// Writes `value` as JSON. `pretty` indents by two spaces. Tensors become
    /// `{"dtype": ..., "shape": [...], "data": [...]}` (float16 as its bit patterns).
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
            case .float16(let a): data = a.map { .int(Int64($0)) }
            case .int64(let a): data = a.map { .int($0) }
            case .int32(let a): data = a.map { .int(Int64($0)) }
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

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        func error(_ message: String) -> ParseError { ParseError(offset: index, message: message) }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }

        mutating func literal(_ word: String) -> Bool {
            let w = Array(word.utf8)
            guard index + w.count <= bytes.count, Array(bytes[index..<index + w.count]) == w else { return false }
            index += w.count
            return true
        }

        mutating func value(depth: Int) throws -> StateValue {
            guard depth < 512 else { throw error("nesting deeper than 512") }
            guard index < bytes.count else { throw error("unexpected end of input") }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var dict = StateDict()
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .dict(dict) }
                while true {
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a key string") }
                    let key = try string()
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
                    index += 1
                    skipSpace()
                    if dict[key] != nil { throw error("duplicate key \"\(key)\"") }
                    dict[key] = try value(depth: depth + 1)
                    skipSpace()
                    guard index < bytes.count else { throw error("unexpected end of input") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "}") { index += 1; return .dict(dict) }
                    throw error("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                index += 1
                var items: [StateValue] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .list(items) }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard index < bytes.count else { throw error("unexpected end of input") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "]") { index += 1; return .list(items) }
                    throw error("expected ',' or ']'")
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            default:
                if literal("true") { return .bool(true) }
                if literal("false") { return .bool(false) }
                if literal("null") { return .none }
                if literal("NaN") { return .double(.nan) }
                if literal("Infinity") { return .double(.infinity) }
                if literal("-Infinity") { return .double(-.infinity) }
                return try number()
            }
        }

        mutating func number() throws -> StateValue {
            let start = index
            var isInteger = true
            while index < bytes.count {
                let c = bytes[index]
                if (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") {
                    index += 1
                } else if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                    isInteger = false
                    index += 1
                } else {
                    break
                }
            }
            guard index > start, let text = String(validating: bytes[start..<index], as: UTF8.self) else {
                throw error("unexpected character")
            }
            if isInteger, let i = Int64(text) { return .int(i) }
            guard let d = Double(text) else {
                index = start
                throw error("invalid number \"\(text)\"")
            }
            return .double(d)
        }

        mutating func string() throws -> String {
            index += 1  // opening quote
            var scalars = String.UnicodeScalarView()
            var raw: [UInt8] = []
            func flush() throws {
                guard !raw.isEmpty else { return }
                guard let s = String(validating: raw, as: UTF8.self) else { throw error("invalid UTF-8 in string") }
                scalars.append(contentsOf: s.unicodeScalars)
                raw.removeAll(keepingCapacity: true)
            }
            while index < bytes.count {
                let c = bytes[index]
                if c == UInt8(ascii: "\"") {
                    index += 1
                    try flush()
                    return String(scalars)
                }
                if c == UInt8(ascii: "\\") {
                    try flush()
                    index += 1
                    guard index < bytes.count else { break }
                    let e = bytes[index]
                    index += 1
                    switch e {
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "b"): scalars.append("\u{08}")
                    case UInt8(ascii: "f"): scalars.append("\u{0C}")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if (0xD800..<0xDC00).contains(code), literal("\\u") {
                            let low = try hex4()
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let u = Unicode.Scalar(code) else { throw error("invalid \\u escape") }
                        scalars.append(u)
                    default: throw error("invalid escape")
                    }
                    continue
                }
                if c < 0x20 { throw error("control character in string") }
                raw.append(c)
                index += 1
            }
            throw error("unterminated string")
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count,
                  let s = String(validating: bytes[index..<index + 4], as: UTF8.self),
                  let v = UInt32(s, radix: 16) else { throw error("invalid \\u escape") }
            index += 4
            return v
        }
    }
}
