/// Shell-style name patterns as Python's `fnmatch.fnmatchcase`: `*` any run of characters
/// (dots included, so `"conv*"` matches `"conv1.weight"`), `?` one character, `[abc]`,
/// `[a-z]` and `[!abc]` one character of (or not of) a set. Case-sensitive.
public struct Glob: Sendable, Equatable, CustomStringConvertible {
    public let pattern: String
    private let chars: [Character]

    public init(_ pattern: String) {
        self.pattern = pattern
        self.chars = Array(pattern)
    }

    public var description: String { pattern }

    public func matches(_ name: String) -> Bool {
        let s = Array(name)
        // Iterative matcher with backtracking to the last `*` (linear for typical patterns).
        var pi = 0, si = 0
        var starP = -1, starS = 0
        while si < s.count {
            if pi < chars.count {
                let c = chars[pi]
                if c == "*" {
                    starP = pi; starS = si; pi += 1
                    continue
                }
                if c == "?" { pi += 1; si += 1; continue }
                if c == "[", let (matched, next) = matchSet(at: pi, s[si]) {
                    if matched { pi = next; si += 1; continue }
                } else if c == s[si] {
                    pi += 1; si += 1; continue
                }
            }
            guard starP >= 0 else { return false }
            pi = starP + 1; starS += 1; si = starS
        }
        while pi < chars.count && chars[pi] == "*" { pi += 1 }
        return pi == chars.count
    }

    /// Matches `ch` against the set starting at `chars[at] == "["`; nil when the `[` has no
    /// closing `]` (fnmatch then treats it as a literal `[`).
    private func matchSet(at start: Int, _ ch: Character) -> (Bool, Int)? {
        var i = start + 1
        var negate = false
        if i < chars.count && chars[i] == "!" { negate = true; i += 1 }
        var first = true
        var matched = false
        while i < chars.count && (first || chars[i] != "]") {
            first = false
            if i + 2 < chars.count && chars[i + 1] == "-" && chars[i + 2] != "]" {
                if chars[i] <= ch && ch <= chars[i + 2] { matched = true }
                i += 3
            } else {
                if chars[i] == ch { matched = true }
                i += 1
            }
        }
        guard i < chars.count else { return nil }
        return (matched != negate, i + 1)
    }
}
