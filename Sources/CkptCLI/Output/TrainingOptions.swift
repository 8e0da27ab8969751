import ArgumentParser
import Ckpt

/// `--threads`, shared by the commands that train (`train`, `resume`). Like
/// `torch.set_num_threads`, but the thread count never changes a result: the training core
/// cuts every batch into fixed chunks (see `Compute`), so a run resumed with another count
/// continues bit for bit. Not part of the run config for that reason.
struct ThreadsOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Worker threads for the training core (default: all cores). Results are bit-identical for any count.",
        valueName: "n"))
    var threads: Int?

    init() {}

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be a positive integer, got \(threads)") }
    }

    /// Sets `Compute.threads` for this process when `--threads` was given.
    func apply() {
        if let threads { Compute.threads = threads }
    }
}
