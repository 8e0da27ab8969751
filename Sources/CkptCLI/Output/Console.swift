import Foundation

/// Where a command writes: the process's stdout/stderr, or strings a test reads back.
///
/// Commands write through a `Console` so tests run them in-process and compare exact text.
public final class Console: @unchecked Sendable {
    private let capturing: Bool
    /// Everything written to stdout so far (captured consoles only).
    public private(set) var output = ""
    /// Everything written to stderr so far (captured consoles only).
    public private(set) var errors = ""
    /// Whether stdout is a terminal (charts and colours only then; plain lines otherwise).
    public let isTerminal: Bool

    private init(capturing: Bool, isTerminal: Bool) {
        self.capturing = capturing
        self.isTerminal = isTerminal
    }

    /// The process's stdout and stderr.
    public static func standard() -> Console {
        Console(capturing: false, isTerminal: isatty(STDOUT_FILENO) != 0)
    }

    /// A console that keeps what is written, for tests.
    public static func capture(isTerminal: Bool = false) -> Console {
        Console(capturing: true, isTerminal: isTerminal)
    }

    /// Writes `text` and a newline to stdout.
    public func print(_ text: String = "") { write(text + "\n") }

    /// Writes `text` (no newline added) to stdout.
    public func write(_ text: String) {
        if capturing { output += text } else { FileHandle.standardOutput.write(Data(text.utf8)) }
    }

    /// Writes `text` and a newline to stderr.
    public func printError(_ text: String) {
        if capturing { errors += text + "\n" } else { FileHandle.standardError.write(Data((text + "\n").utf8)) }
    }
}
