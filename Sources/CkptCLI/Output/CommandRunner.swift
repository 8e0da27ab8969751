import ArgumentParser
import Ckpt
import Foundation

/// The one way a `ckpt` command runs, so every command reports the same way.
///
/// A command's `run()` is `try run { console in ... }`: the body writes through `console` and
/// returns its `CommandStatus`. Whatever it throws becomes exactly one line on stderr,
/// `ckpt <command>: <message>` (newlines folded, control characters escaped as `\u001b`), and
/// the exit status the error stands for: a `CLIError`'s own, else 2 (bad input). The message is
/// the error's own description (every error type of the library names the file, key and both
/// sides); a Swift error without one is never printed as its raw value (`Foo.bar(...)`).
///
/// Exit statuses (`CommandStatus`): 0 success, 1 a difference or a failed verification,
/// 2 bad usage or bad input, 130, 143, 129 a run stopped by SIGINT, SIGTERM, SIGHUP (train, resume).
enum CommandRunner {
    /// Runs `body` for `command` on `console`; an error is printed and mapped to its status.
    static func run(_ command: String, console: Console, _ body: () throws -> CommandStatus) -> CommandStatus {
        do {
            return try body()
        } catch let code as ExitCode {
            return CommandStatus(rawValue: code.rawValue) ?? .badInput
        } catch {
            console.printError(line(command, error))
            return status(for: error)
        }
    }

    /// `ckpt <command>: <message>` (`ckpt: <message>` without a command), one line.
    static func line(_ command: String?, _ error: Error) -> String {
        let name = command.map { "ckpt \($0)" } ?? "ckpt"
        return Format.escapingControlCharacters("\(name): \(message(for: error))", keepNewlines: false)
    }

    /// The exit status an error stands for.
    static func status(for error: Error) -> CommandStatus {
        (error as? CLIError)?.status ?? .badInput
    }

    /// An error's message on one line. The library's error types (CLIError, StateDictError =
    /// RunConfig.Error, RunError, OptimizerError, SchedulerError, CheckpointError, ModelError,
    /// JSON.ParseError) describe themselves completely, naming the file, key and
    /// both sides; Foundation's errors (whose description is an `Error Domain=...` dump) give
    /// their localized text; a type without a description is named, never dumped.
    static func message(for error: Error) -> String {
        let text: String
        switch error {
        case let e as CLIError: text = e.message
        case let e as ValidationError: text = e.message
        case let e as StateDictError: text = e.description
        case let e as RunError: text = e.description
        case let e as OptimizerError: text = e.description
        case let e as SchedulerError: text = e.description
        case let e as CheckpointError: text = e.description
        case let e as ModelError: text = e.description
        case let e as JSON.ParseError: text = e.description
        case let e as JSON.FileError: text = e.message
        case _ where error is CustomNSError || type(of: error) is NSError.Type:
            let prefix = "The operation could not be completed. "
            let d = error.localizedDescription
            text = d.hasPrefix(prefix) ? String(d.dropFirst(prefix.count)) : d
        default:
            // Another type's own description if it wrote one; never the raw value `Foo.bar(...)`.
            if let d = (error as? LocalizedError)?.errorDescription {
                text = d
            } else if let e = (error as Any) as? CustomStringConvertible {
                text = e.description
            } else {
                text = "internal error (\(type(of: error))); please report it"
            }
        }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

extension ParsableCommand {
    /// Every command's `run()`: runs `body` with `console` through `CommandRunner` (errors
    /// become one line on stderr) and ends with the status `body` returned (non-zero as
    /// `ExitCode`, which `CkptCommand.main` passes to `exit`).
    func run(console: Console = .standard(), _ body: (Console) throws -> CommandStatus) throws {
        let status = CommandRunner.run(Self._commandName, console: console) { try body(console) }
        if status != .success { throw ExitCode(status.rawValue) }
    }
}
