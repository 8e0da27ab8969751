import Ckpt
import Foundation

extension ConvertCommand {
    /// `convert run.pt run.h5 --config cfg.json`: a checkpoint `ckpt resume` continues, from a
    /// PyTorch training checkpoint. The config (a ckpt run config: model, data, optimizer and
    /// scheduler with their arguments) must build the file's run: `Run.restore` loads the
    /// file's model, optimizer and scheduler state into the objects the config builds, in
    /// PyTorch's order, and its errors name both sides (names, shapes, optimizer and
    /// scheduler types, param groups and their sizes).
    ///
    /// A torch.save file has the completed epochs (`epoch`, or `--map epoch=KEY`) but no lr or
    /// loss history: `progress` gets `global_step` = epochs × batches per epoch and NaN for the
    /// lr and loss of those earlier steps (unknown, not invented); the steps `ckpt resume` takes
    /// record their own. The run is at an epoch boundary. Other entries of the file
    /// (`best_acc`, ...) stay in the metadata.
    static func resumable(_ c: Checkpoint, file: String, configPath: String) throws -> Checkpoint {
        let text: String
        do { text = try String(contentsOfFile: configPath, encoding: .utf8) } catch {
            throw CLIError.file(configPath, "cannot read the run config: \(error.localizedDescription)")
        }
        let config: RunConfig
        do { config = try RunConfig(json: text) } catch {
            throw CLIError.file(configPath, "invalid run config: \(error)")
        }
        guard let epoch = c.metadata["epoch"]?.intValue, epoch >= 0, epoch <= Int64(Int32.max) else {
            throw CLIError.file(file, "--config needs the number of completed epochs: the file has no int `epoch` entry (name its key with --map epoch=KEY)")
        }
        let batches = try Run(config: config).batchesPerEpoch
        let groups = c.optimizer?["param_groups"]?.arrayValue?.count ?? 0
        let steps = Int(epoch) * batches
        var metadata = c.metadata
        metadata["epoch"] = nil
        metadata["config"] = .string(JSON.string(.dict(config.json)))
        let progress: StateDict = [
            "epoch": .int(epoch), "global_step": .int(Int64(steps)),
            "lr": .tensor(TensorData(shape: [steps, groups], storage: .float64(Array(repeating: .nan, count: steps * groups)))),
            "loss": .tensor(TensorData(shape: [steps], storage: .float32(Array(repeating: .nan, count: steps)))),
        ]
        let draft = Checkpoint(metadata: metadata, model: c.model, optimizer: c.optimizer, scheduler: c.scheduler, progress: progress)
        let run = try Run.restore(from: draft, path: file)
        var out = run.checkpoint()
        for (key, value) in metadata where out.metadata[key] == nil { out.metadata[key] = value }
        return out
    }
}
