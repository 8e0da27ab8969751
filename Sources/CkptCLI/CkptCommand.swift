import ArgumentParser
import Ckpt

/// The root `ckpt` command: declares the subcommands, nothing else.
public struct CkptCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ckpt",
        abstract: "Train, checkpoint, inspect, compare and resume PyTorch-style training runs.",
        discussion: """
            Exit status: 0 success; 1 a difference or a failed verification; \
            2 bad usage or bad input.
            """,
        version: ckptVersion,
        subcommands: [
            TrainCommand.self, ResumeCommand.self, ScheduleCommand.self,
            InspectCommand.self, DiffCommand.self, VerifyCommand.self, PlotCommand.self,
            ConvertCommand.self,
        ])

    public init() {}
}
