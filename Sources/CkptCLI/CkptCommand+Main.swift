import ArgumentParser
import Foundation

extension CkptCommand {
    /// Runs the command line and exits with ckpt's statuses: 0 success, 1 a difference or a
    /// failed verification, 2 bad usage or bad input.
    ///
    /// ArgumentParser exits 64 (EX_USAGE) on usage errors and 1 on unknown errors; ckpt's
    /// contract is 2 for both. Help and `--version` still exit 0.
    public static func main() {
        let (status, out, err) = run(arguments: Array(CommandLine.arguments.dropFirst()))
        if !out.isEmpty { FileHandle.standardOutput.write(Data(out.utf8)) }
        if !err.isEmpty { FileHandle.standardError.write(Data(err.utf8)) }
        Foundation.exit(status)
    }

    /// Parses and runs `arguments`; returns the exit status and the text for stdout and stderr
    /// that ArgumentParser itself produces (help, usage errors). Commands write their own
    /// output directly.
    static func run(arguments: [String]) -> (status: Int32, stdout: String, stderr: String) {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            return (0, "", "")
        } catch {
            return report(error)
        }
    }

    /// The exit status and message for an error thrown while parsing or running.
    static func report(_ error: Error) -> (status: Int32, stdout: String, stderr: String) {
        if let e = error as? CLIError { return (e.status.rawValue, "", "ckpt: \(e.message)\n") }
        if let e = error as? ExitCode { return (e.rawValue, "", "") }
        let code = exitCode(for: error).rawValue
        let message = fullMessage(for: error)
        let text = message.isEmpty ? "" : message + "\n"
        switch code {
        case 0: return (0, text, "")
        case 64: return (CommandStatus.badInput.rawValue, "", text)
        default:
            // An error no command turned into a CLIError: one line, bad input.
            let line = text.split(separator: "\n").first.map(String.init) ?? String(describing: error)
            return (CommandStatus.badInput.rawValue, "", line + "\n")
        }
    }
}
