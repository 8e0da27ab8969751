import ArgumentParser
import Ckpt

/// The root `ckpt` command: declares the subcommands, nothing else.
public struct CkptCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ckpt",
        abstract: "Train, checkpoint, inspect, compare and resume PyTorch-style training runs.",
        discussion: """
            Exit status: 0 success; 1 a difference or a failed verification; \
            2 bad usage or bad input; 130, 143, 129 a training run stopped (and saved) by Ctrl-C, SIGTERM, SIGHUP. Bad input is one \
            line on stderr, ckpt <command>: <message>; bad usage (an unknown option, a \
            missing argument) also shows the usage.

            --json prints strict JSON: NaN and ±Infinity, which strict parsers reject as \
            numbers, are the strings "NaN", "Infinity" and "-Infinity".
            """,
        version: ckptVersion,
        subcommands: [
            TrainCommand.self, ResumeCommand.self, ScheduleCommand.self,
            InspectCommand.self, DiffCommand.self, VerifyCommand.self, PlotCommand.self,
            ConvertCommand.self, LsCommand.self, PruneCommand.self,
        ] + distributedSubcommands)

    public init() {}
}
