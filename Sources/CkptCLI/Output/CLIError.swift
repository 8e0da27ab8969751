/// The ckpt exit statuses (named apart from Swift Testing's `ExitStatus`) (`ckpt --help` documents them).
public enum CommandStatus: Int32, Sendable {
    /// Success: files identical within tolerance, every file sound.
    case success = 0
    /// A difference was found, or a verification failed.
    case failure = 1
    /// Bad usage or bad input: missing, unreadable or invalid file, invalid option value.
    case badInput = 2
    /// `train` / `resume` stopped by Ctrl-C after saving (the status a shell reports for SIGINT).
    case interrupted = 130
    /// `train` / `resume` stopped by SIGTERM (a scheduler's preemption) after saving.
    case terminated = 143
    /// `train` / `resume` stopped by SIGHUP (the terminal closed) after saving.
    case hangup = 129
}

/// An error a command reports as one line on stderr, with its exit status.
///
/// The message names the file, the path inside it when there is one, and what to do
/// ("run 'ckpt inspect FILE' to list what it holds"). No stack traces, no HDF5 dumps.
public struct CLIError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var status: CommandStatus

    public init(_ message: String, status: CommandStatus = .badInput) {
        self.message = message
        self.status = status
    }

    public var description: String { message }

    /// A bad-input error for `file`, with the path inside it when known.
    public static func file(_ file: String, path: String? = nil, _ message: String) -> CLIError {
        CLIError([file, path].compactMap { $0 }.joined(separator: ": ") + ": " + message)
    }

    /// Turns any error a loader throws into one line about `file`, keeping its own text (which
    /// names the path inside the file) but not repeating the file name.
    public static func reading(_ file: String, _ error: Error) -> CLIError {
        if let e = error as? CLIError { return e }
        var text = CommandRunner.message(for: error)
        if !text.contains(file) { text = "\(file): \(text)" }
        return CLIError(text)
    }
}
