import ArgumentParser
import Ckpt

/// The options of the commands that train (`train`, `resume`): `--epochs` and `--threads`.
///
/// `--threads` is like `torch.set_num_threads`, but the thread count never changes a result:
/// the training core cuts every batch into fixed chunks (see `Compute`), so a run resumed
/// with another count continues bit for bit. Not part of the run config for that reason.
struct TrainingOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Train until this many epochs are complete (default: the config's \"epochs\").", valueName: "n"))
    var epochs: Int?

    @Option(name: .long, help: ArgumentHelp(
        "Worker threads for the training core (default: all cores). Results are bit-identical for any count.",
        valueName: "n"))
    var threads: Int?

    init() {}

    func validate() throws {
        if let epochs, !(1...RunConfig.maxEpochs).contains(epochs) {
            throw ValidationError("--epochs must be an integer in 1...\(RunConfig.maxEpochs), got \(epochs)")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be a positive integer, got \(threads)") }
    }

    /// Sets `Compute.threads` for this process when `--threads` was given.
    func apply() {
        if let threads { Compute.threads = threads }
    }
}
