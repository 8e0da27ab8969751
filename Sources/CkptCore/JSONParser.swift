/// The reader behind `JSON.parse`: RFC 8259 plus Python's `NaN`, `Infinity` and `-Infinity`.
///
/// Its input is untrusted (run configs, schedule configs, safetensors headers), so it is strict
/// wherever a lenient reader would trap or silently read a different value, and every refusal
/// is a `JSON.ParseError` naming the byte offset where the offending token starts:
/// - numbers follow RFC 8259's grammar exactly (no `+1`, `01`, `.5`, `1.`, `1e`, `0x1`);
///   an integer outside Int64 or a number too large for a double is refused, where Python
///   would give a big int or `inf` (both would become a different value here);
/// - `\u` takes exactly four hex digits; a high surrogate must be followed by `\u` and a
///   low surrogate (`\uDC00`-`\uDFFF`), and a low surrogate alone is refused (Python keeps
///   lone surrogates in a `str`; a Swift `String` cannot hold them, so they are not guessed at);
/// - control characters U+0000-U+001F must be escaped inside strings;
/// - a duplicate key in an object is refused (Python keeps the last one without a word);
/// - nesting is at most `maxDepth` arrays/objects deep, and only white space may follow the value.
struct JSONParser {
    /// Deepest nesting of arrays and objects accepted (the parser recurses once per level).
    static let maxDepth = 512

    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The one value of the whole input (white space around it allowed).
    mutating func parseDocument() throws -> StateValue {
        skipSpace()
        let value = try value(depth: 0)
        skipSpace()
        guard index == bytes.count else { throw error("trailing characters after the value: \(describe(index))") }
        return value
    }

    private func error(_ message: String, at offset: Int? = nil) -> JSON.ParseError {
        JSON.ParseError(offset: offset ?? index, message: message)
    }

    private var atEnd: Bool { index >= bytes.count }

    private func peek(_ c: Character) -> Bool { index < bytes.count && bytes[index] == c.asciiValue! }

    /// The byte at `offset` for an error message: `'x'`, or its hex value when not printable ASCII.
    private func describe(_ offset: Int) -> String {
        guard offset < bytes.count else { return "end of input" }
        let b = bytes[offset]
        if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x" + String(b, radix: 16, uppercase: true)
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private static let words: [(text: [UInt8], value: StateValue)] = [
        (Array("true".utf8), .bool(true)), (Array("false".utf8), .bool(false)), (Array("null".utf8), .none),
        (Array("NaN".utf8), .double(.nan)), (Array("Infinity".utf8), .double(.infinity)),
        (Array("-Infinity".utf8), .double(-.infinity)),
    ]

    /// A literal word at `index` (`true`, `null`, `NaN`, ...), consumed; nil when none starts here.
    private mutating func literal() -> StateValue? {
        for (text, value) in Self.words where index + text.count <= bytes.count {
            if bytes[index..<(index + text.count)].elementsEqual(text) {
                index += text.count
                return value
            }
        }
        return nil
    }

    private mutating func value(depth: Int) throws -> StateValue {
        guard !atEnd else { throw error("unexpected end of input, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        default:
            if let word = literal() { return word }
            return try number()
        }
    }

    private mutating func object(depth: Int) throws -> StateValue {
        guard depth <= Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth) arrays/objects") }
        index += 1  // {
        var dict = StateDict()
        skipSpace()
        if peek("}") { index += 1; return .dict(dict) }
        while true {
            skipSpace()
            guard peek("\"") else { throw error("expected a key string, found \(describe(index))") }
            let keyStart = index
            let key = try string()
            guard dict[key] == nil else { throw error("duplicate key \"\(key)\"", at: keyStart) }
            skipSpace()
            guard peek(":") else { throw error("expected ':' after the key, found \(describe(index))") }
            index += 1
            skipSpace()
            dict[key] = try value(depth: depth)
            skipSpace()
            if peek(",") { index += 1; continue }
            if peek("}") { index += 1; return .dict(dict) }
            throw error("expected ',' or '}', found \(describe(index))")
        }
    }

    private mutating func array(depth: Int) throws -> StateValue {
        guard depth <= Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth) arrays/objects") }
        index += 1  // [
        var items: [StateValue] = []
        skipSpace()
        if peek("]") { index += 1; return .list(items) }
        while true {
            skipSpace()
            items.append(try value(depth: depth))
            skipSpace()
            if peek(",") { index += 1; continue }
            if peek("]") { index += 1; return .list(items) }
            throw error("expected ',' or ']', found \(describe(index))")
        }
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// Digits at `index`, consumed; returns how many.
    private mutating func digits() -> Int {
        let start = index
        while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
        return index - start
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`: an int when it has neither fraction
    /// nor exponent, else a double.
    private mutating func number() throws -> StateValue {
        let start = index
        if peek("-") { index += 1 }
        guard !atEnd, Self.isDigit(bytes[index]) else {
            if index == start { throw error("unexpected \(describe(index)), expected a value") }
            throw error("invalid number: expected a digit after '-', found \(describe(index))", at: start)
        }
        if peek("0") {
            index += 1
            if !atEnd, Self.isDigit(bytes[index]) { throw error("invalid number: leading zero", at: start) }
        } else {
            _ = digits()
        }
        var isInteger = true
        if peek(".") {
            index += 1
            isInteger = false
            guard digits() > 0 else { throw error("invalid number: expected a digit after '.', found \(describe(index))", at: start) }
        }
        if peek("e") || peek("E") {
            index += 1
            isInteger = false
            if peek("+") || peek("-") { index += 1 }
            guard digits() > 0 else { throw error("invalid number: expected a digit in the exponent, found \(describe(index))", at: start) }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        let shown = text.count <= 40 ? text : text.prefix(40) + "..."
        if isInteger {
            guard let i = Int64(text) else { throw error("integer \(shown) is outside the int64 range", at: start) }
            return .int(i)
        }
        guard let d = Double(text), d.isFinite else {
            throw error("number \(shown) is too large for a double", at: start)
        }
        return .double(d)
    }

    private mutating func string() throws -> String {
        let open = index
        index += 1  // opening quote
        var utf8: [UInt8] = []
        while index < bytes.count {
            let c = bytes[index]
            if c == UInt8(ascii: "\"") {
                index += 1
                guard let s = String(validating: utf8, as: UTF8.self) else {
                    throw error("invalid UTF-8 in the string", at: open)
                }
                return s
            }
            if c == UInt8(ascii: "\\") {
                utf8.append(contentsOf: String(try escape()).utf8)
                continue
            }
            guard c >= 0x20 else { throw error("control character \(describe(index)) in a string (escape it)") }
            utf8.append(c)
            index += 1
        }
        throw error("unterminated string", at: open)
    }

    /// The scalar an escape at `index` (a backslash) stands for, consumed.
    private mutating func escape() throws -> Unicode.Scalar {
        let start = index
        index += 1  // backslash
        guard !atEnd else { throw error("unterminated escape at the end of input", at: start) }
        let e = bytes[index]
        index += 1
        switch e {
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "u"): break
        default: throw error("invalid escape: '\\' followed by \(describe(index - 1))", at: start)
        }
        let unit = try hex4(escapeAt: start)
        switch unit {
        case 0xD800...0xDBFF:
            let lowStart = index
            guard peek("\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                throw error("lone high surrogate \\u\(hex(unit)): not followed by a \\uDC00-\\uDFFF low surrogate", at: start)
            }
            index += 2
            let low = try hex4(escapeAt: lowStart)
            guard (0xDC00...0xDFFF).contains(low) else {
                throw error("high surrogate \\u\(hex(unit)) followed by \\u\(hex(low)), not by a \\uDC00-\\uDFFF low surrogate", at: start)
            }
            return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!
        case 0xDC00...0xDFFF:
            throw error("lone low surrogate \\u\(hex(unit)): not preceded by a \\uD800-\\uDBFF high surrogate", at: start)
        default:
            return Unicode.Scalar(unit)!  // every other value below 0x10000 is a scalar
        }
    }

    /// Four hex digits at `index`, consumed (`\u` escapes; `escapeAt` is the backslash).
    private mutating func hex4(escapeAt start: Int) throws -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 {
            guard index + k < bytes.count else { throw error("truncated \\u escape: expected 4 hex digits", at: start) }
            let b = bytes[index + k]
            let digit: UInt8
            switch b {
            case 0x30...0x39: digit = b - 0x30
            case 0x41...0x46: digit = b - 0x41 + 10
            case 0x61...0x66: digit = b - 0x61 + 10
            default: throw error("invalid \\u escape: \(describe(index + k)) is not a hex digit", at: start)
            }
            v = v << 4 | UInt32(digit)
        }
        index += 4
        return v
    }

    private func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}
