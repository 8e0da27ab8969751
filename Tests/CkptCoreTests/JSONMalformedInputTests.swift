import CkptCore
import Testing

/// `JSON.parse` on malformed input: every case is a `JSON.ParseError` naming the byte offset
/// where the offending token starts, never a trap and never a different value read silently.
/// What "malformed" means is RFC 8259 (plus Python's NaN/Infinity), checked case by case
/// against what Python's `json.loads` does with the same text (noted where ckpt is stricter).
@Suite struct JSONMalformedInputTests {
    /// The byte offset of the first occurrence of `needle` in `text`.
    static func offset(of needle: String, in text: String) -> Int {
        let t = Array(text.utf8), n = Array(needle.utf8)
        return (0...(t.count - n.count)).first { Array(t[$0..<($0 + n.count)]) == n }!
    }

    /// The parse error for `text`, recording an issue when it parses.
    static func failure(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSON.ParseError? {
        do {
            let v = try JSON.parse(text)
            Issue.record("\(text.debugDescription) parsed as \(v)", sourceLocation: sourceLocation)
        } catch let e as JSON.ParseError {
            #expect(e.description.hasPrefix("invalid JSON at byte \(e.offset): "), sourceLocation: sourceLocation)
            return e
        } catch {
            Issue.record("\(text.debugDescription): not a ParseError: \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    // MARK: - surrogates and escapes

    /// The case from issue 13: a high surrogate followed by `\u0041` used to read as U+2441 ("⑁").
    @Test func highSurrogateFollowedByANonSurrogate() throws {
        let text = #"{"scheduler": {"type": "Step\uD800\u0041"}}"#
        let e = try #require(Self.failure(text))
        #expect(e.offset == Self.offset(of: #"\uD800"#, in: text))
        #expect(e.message.contains("high surrogate \\uD800") && e.message.contains("\\u0041"), "\(e)")
    }

    @Test(arguments: [
        (#""\uD800""#, #"\uD800"#, "lone high surrogate"),  // string ends after it
        (#""\uDBFFx""#, #"\uDBFF"#, "lone high surrogate"),  // a plain character follows
        (#""\uD800\n""#, #"\uD800"#, "lone high surrogate"),  // another escape follows
        (#""\uD800\uD800""#, #"\uD800"#, "followed by \u{5C}uD800"),  // two highs
        (#""\uDC00""#, #"\uDC00"#, "lone low surrogate"),
        (#""a\uDFFF\uD800""#, #"\uDFFF"#, "lone low surrogate"),  // the pair reversed
        (#""\uD800\u12"#, #"\u12"#, "truncated"),  // the low half cut short: at the low escape
    ])
    func loneSurrogatesAreRefused(text: String, at needle: String, reason: String) throws {
        let e = try #require(Self.failure(text))
        #expect(e.offset == Self.offset(of: needle, in: text), "\(e)")
        #expect(e.message.contains(reason), "\(e)")
    }

    @Test func validSurrogatePairsAndEscapesDecode() throws {
        #expect(try JSON.parse(#""\uD83D\uDE00""#) == .string("😀"))
        #expect(try JSON.parse(#""\udbff\udfff""#) == .string("\u{10FFFF}"))
        #expect(try JSON.parse(#""\u00e9\u0000\/\b\f\n\r\t\"\\""#) == .string("é\u{0}/\u{8}\u{C}\n\r\t\"\\"))
        #expect(try JSON.parse("\"\u{7F}é😀\"") == .string("\u{7F}é😀"))  // DEL and non-ASCII need no escape
    }

    @Test(arguments: [
        (#""\u12""#, "not a hex digit"),  // the closing quote is not a digit
        (#""\u"#, "truncated \\u escape"),
        (#""\u12G4""#, "not a hex digit"),
        (#""\u+041""#, "not a hex digit"),  // UInt32("+041", radix: 16) would accept it
        (#""\u-001""#, "not a hex digit"),
        (#""\u 041""#, "not a hex digit"),
        (#""\x41""#, "invalid escape"),
        (#""\'""#, "invalid escape"),
        (#""\U0041""#, "invalid escape"),
        (#""\"#, "unterminated escape"),
    ])
    func badEscapesAreRefusedAtTheBackslash(text: String, reason: String) throws {
        let e = try #require(Self.failure(text))
        #expect(e.offset == 1, "\(e)")
        #expect(e.message.contains(reason), "\(e)")
    }

    // MARK: - numbers

    @Test(arguments: [
        ("01", "leading zero"), ("-01", "leading zero"), ("+1", "unexpected '+'"), (".5", "unexpected '.'"),
        ("1.", "digit after '.'"), ("1.e5", "digit after '.'"), ("1e", "exponent"), ("1e+", "exponent"),
        ("-", "digit after '-'"), ("--1", "digit after '-'"), ("-a", "digit after '-'"),
        ("0x10", "trailing"), ("1.5.2", "trailing"), ("1-2", "trailing"), ("1e5e5", "trailing"),
        ("-NaN", "digit after '-'"), ("nan", "unexpected 'n'"), ("infinity", "unexpected 'i'"), ("Inf", "unexpected 'I'"),
        ("1e999", "too large for a double"), ("-1e999", "too large for a double"),
        ("9223372036854775808", "outside the int64 range"), ("-9223372036854775809", "outside the int64 range"),
        ("123456789012345678901234567890123456789012345678901234567890", "outside the int64 range"),
    ])
    func badNumbersAreRefused(text: String, reason: String) throws {
        let e = try #require(Self.failure(text))
        #expect(e.message.contains(reason), "\(text): \(e)")
        // Inside an array the same number is refused at the same place (shifted by the bracket).
        let inArray = try #require(Self.failure("[" + text + "]"))
        #expect(inArray.offset == e.offset + 1, "\(text): \(inArray)")
    }

    @Test func numbersAtTheEdgesReadExactly() throws {
        #expect(try JSON.parse("9223372036854775807") == .int(.max))
        #expect(try JSON.parse("-9223372036854775808") == .int(.min))
        #expect(try JSON.parse("-0") == .int(0))  // Python: json.loads("-0") == 0, an int
        #expect(try JSON.parse("-0.0").doubleValue?.bitPattern == (-0.0 as Double).bitPattern)
        #expect(try JSON.parse("1E5") == .double(100_000))
        #expect(try JSON.parse("1e+05") == .double(100_000))
        #expect(try JSON.parse("1.7976931348623157e308") == .double(.greatestFiniteMagnitude))
        #expect(try JSON.parse("4.9e-324") == .double(.leastNonzeroMagnitude))
        #expect(try JSON.parse("1e-400") == .double(0))  // underflow rounds to 0, as Python's float()
        guard case .list(let l) = try JSON.parse("[NaN, Infinity, -Infinity]") else { Issue.record("not a list"); return }
        #expect(l[0].doubleValue!.isNaN && l[1] == .double(.infinity) && l[2] == .double(-.infinity))
    }

    // MARK: - structure

    @Test func nestingIsBounded() throws {
        let deepest = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try JSON.parse(deepest) }
        let objects = String(repeating: #"{"a":"#, count: 511) + "{}" + String(repeating: "}", count: 511)
        #expect(throws: Never.self) { try JSON.parse(objects) }

        let tooDeep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        let e = try #require(Self.failure(tooDeep))
        #expect(e.offset == 512 && e.message.contains("nesting deeper than 512"), "\(e)")
        // A hostile depth (the parser recurses per level) stops at the limit, not the stack's end.
        let hostile = try #require(Self.failure(String(repeating: "[{\"k\":", count: 100_000)))
        #expect(hostile.message.contains("nesting"), "\(hostile)")
    }

    @Test(arguments: [
        ("", 0, "unexpected end of input"), ("   ", 3, "unexpected end of input"),
        ("[1,", 3, "unexpected end of input"), ("[1", 2, "expected ',' or ']'"), ("[1,]", 3, "unexpected ']'"),
        ("{\"a\"", 4, "expected ':'"), ("{\"a\":}", 5, "unexpected '}'"), ("{\"a\":1,}", 7, "expected a key string"),
        ("{1:2}", 1, "expected a key string"), ("{\"a\" 1}", 5, "expected ':'"), ("[1 2]", 3, "expected ',' or ']'"),
        ("\"abc", 0, "unterminated string"), ("{} x", 3, "trailing characters"), ("1 2", 2, "trailing characters"),
        ("[1]]", 3, "trailing characters"), ("truex", 4, "trailing characters"), ("nul", 0, "unexpected 'n'"),
        ("\u{FEFF}{}", 0, "unexpected byte 0xEF"), ("'a'", 0, "unexpected '''"),
    ])
    func truncatedAndMisplacedTokens(text: String, offset: Int, reason: String) throws {
        let e = try #require(Self.failure(text))
        #expect(e.offset == offset, "\(text.debugDescription): \(e)")
        #expect(e.message.contains(reason), "\(text.debugDescription): \(e)")
    }

    @Test(arguments: [0x00, 0x09, 0x0A, 0x0D, 0x1F] as [UInt8])
    func rawControlCharactersInStringsAreRefused(byte: UInt8) throws {
        let text = "[\"ab" + String(UnicodeScalar(byte)) + "\"]"
        let e = try #require(Self.failure(text))
        #expect(e.offset == 4 && e.message.contains("control character"), "\(e)")
    }

    /// Python keeps the last of two equal keys without a word; a config or header that says
    /// two things is refused here, at the second key.
    @Test func duplicateKeysAreRefusedAtTheSecondKey() throws {
        let text = #"{"lr": 0.1, "momentum": 0.9, "lr": 1.0}"#
        let e = try #require(Self.failure(text))
        #expect(e.offset == 29 && e.message.contains(#"duplicate key "lr""#), "\(e)")
        // Keys are compared after unescaping: "\u006cr" is "lr".
        #expect(Self.failure(#"{"lr": 1, "\u006cr": 2}"#)?.message.contains("duplicate") == true)
    }

    static let tokens = Array(#"\u{}[]":,-.eE0123456789"#.utf8)

    /// Random damage to a valid config never traps: it parses (and then writes back to the
    /// same value) or is a ParseError whose offset lies within the text.
    @Test func randomDamageNeverTraps() throws {
        let valid = #"""
            {"model": {"type": "mlp", "sizes": [3072, 16, 10]}, "x": [1.5e-3, -0, true, null, NaN, "\u00e9\uD83D\uDE00\n"],
             "optimizer": {"type": "SGD", "lr": 0.001, "momentum": 0.9, "nested": [[[{"a": {}}]]]}}
            """#
        let bytes = Array(valid.utf8)
        var g = RandomGenerator(seed: 13)
        for trial in 0..<3000 {
            var b = bytes
            for _ in 0...(trial % 4) {
                let i = g.nextInt(below: b.count)
                switch g.nextInt(below: 3) {
                case 0: b[i] = UInt8(truncatingIfNeeded: g.nextInt(below: 256))
                case 1: b.remove(at: i)
                default: b.insert(Self.tokens[g.nextInt(below: Self.tokens.count)], at: i)
                }
            }
            let text = String(decoding: b, as: UTF8.self)
            do {
                let v = try JSON.parse(text)
                #expect(try JSON.parse(JSON.string(v)).bitwiseEqual(v), "trial \(trial)")
            } catch let e as JSON.ParseError {
                #expect(e.offset >= 0 && e.offset <= text.utf8.count, "trial \(trial): \(e)")
            }
        }
    }
}
