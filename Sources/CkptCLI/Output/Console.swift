import CkptCore
import Foundation

/// Where a command writes: the process's stdout/stderr, or strings a test reads back.
///
/// Every byte a command prints goes through a `Console`, so tests run commands in-process and
/// compare exact text. Lines (`print`, `printError`) have their control characters escaped
/// (`Format.escapingControlCharacters`), so a name read from a file cannot drive the terminal;
/// `write` and `writeError` pass text through unchanged (an SVG on stdout, the progress bar's
/// own escape sequences).
public final class Console: @unchecked Sendable {
    private let capturing: Bool
    /// Everything written to stdout so far (captured consoles only).
    public private(set) var output = ""
    /// Everything written to stderr so far (captured consoles only).
    public private(set) var errors = ""
    /// Whether stdout is a terminal (charts and colours only then; plain lines otherwise).
    public let isTerminal: Bool
    /// Whether stderr is a terminal (the progress bar goes there when stdout carries JSON).
    public let errorIsTerminal: Bool

    private init(capturing: Bool, isTerminal: Bool, errorIsTerminal: Bool) {
        self.capturing = capturing
        self.isTerminal = isTerminal
        self.errorIsTerminal = errorIsTerminal
    }

    /// The process's stdout and stderr.
    public static func standard() -> Console {
        Console(capturing: false, isTerminal: isatty(STDOUT_FILENO) != 0, errorIsTerminal: isatty(STDERR_FILENO) != 0)
    }

    /// A console that keeps what is written, for tests.
    public static func capture(isTerminal: Bool = false) -> Console {
        Console(capturing: true, isTerminal: isTerminal, errorIsTerminal: isTerminal)
    }

    /// Writes `text` and a newline to stdout, control characters escaped.
    public func print(_ text: String = "") { write(Format.escapingControlCharacters(text) + "\n") }

    /// Writes `text` (no newline added, nothing escaped) to stdout.
    public func write(_ text: String) {
        if capturing { output += text } else { Self.writeAll(STDOUT_FILENO, text) }
    }

    /// Writes `text` and a newline to stderr, control characters escaped.
    public func printError(_ text: String) { writeError(Format.escapingControlCharacters(text) + "\n") }

    /// Writes `text` (no newline added, nothing escaped) to stderr.
    public func writeError(_ text: String) {
        if capturing { errors += text } else { Self.writeAll(STDERR_FILENO, text) }
    }

    /// write(2) until done. A closed pipe (EPIPE: `ckpt train | head`, where training catches
    /// SIGPIPE to save before it ends) drops the text; FileHandle.write would trap on it.
    private static func writeAll(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { posixWrite(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            done += n
        }
    }

    /// The one JSON printer of `--json`: `value` as an indented JSON document and a newline, on
    /// stdout (or stderr when stdout carries something else, such as `plot --out -`'s SVG).
    ///
    /// Strict JSON: NaN and ±Infinity, which Python's `json` writes as bare tokens that other
    /// parsers reject, are written as the strings "NaN", "Infinity" and "-Infinity".
    public func printJSON(_ value: StateValue, onStderr: Bool = false) {
        let text = JSON.string(value, pretty: true, nonFiniteAsStrings: true)
        if onStderr { printError(text) } else { print(text) }
    }
}

/// write(2) (inside `Console`, `write` names its own method).
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
