import ArgumentParser
import CkptCore
import Foundation

extension CkptCommand {
    /// Runs the command line and exits with ckpt's statuses: 0 success, 1 a difference or a
    /// failed verification, 2 bad usage or bad input (130, 143, 129 for a training run stopped by SIGINT, SIGTERM, SIGHUP).
    ///
    /// ArgumentParser exits 64 (EX_USAGE) on usage errors and 1 on unknown errors; ckpt's
    /// contract is 2 for both. Help and `--version` still exit 0.
    public static func main() {
        ParseIsolation.isEnabled = true  // inspect/verify/diff parse files in a child process
        Compute.pinBLAS()  // frees the core OpenBLAS's idle worker would spin on at start
        let (status, out, err) = run(arguments: Array(CommandLine.arguments.dropFirst()))
        let console = Console.standard()
        if !out.isEmpty { console.write(out) }
        if !err.isEmpty { console.writeError(err) }
        Foundation.exit(status)
    }

    /// Parses and runs `arguments`; returns the exit status and the text for stdout and stderr
    /// that ArgumentParser itself produces (help, usage errors). Commands write their own
    /// output, through `CommandRunner`.
    static func run(arguments: [String]) -> (status: Int32, stdout: String, stderr: String) {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            return (0, "", "")
        } catch {
            return report(error)
        }
    }

    /// The exit status and message for an error thrown while parsing, or the `ExitCode` a
    /// command's `run()` ended with (it has printed its own message). Usage errors keep
    /// ArgumentParser's text ("Error: ...", then the usage), control characters escaped.
    static func report(_ error: Error) -> (status: Int32, stdout: String, stderr: String) {
        if let e = error as? ExitCode { return (e.rawValue, "", "") }
        if error is CLIError { return (CommandRunner.status(for: error).rawValue, "", CommandRunner.line(nil, error) + "\n") }
        let code = exitCode(for: error).rawValue
        let message = Format.escapingControlCharacters(fullMessage(for: error))
        let text = message.isEmpty ? "" : message + "\n"
        switch code {
        case 0: return (0, text, "")
        case 64: return (CommandStatus.badInput.rawValue, "", text)
        default:
            // An error ArgumentParser does not know as a usage error: one line, bad input.
            return (CommandStatus.badInput.rawValue, "", CommandRunner.line(nil, error) + "\n")
        }
    }
}
