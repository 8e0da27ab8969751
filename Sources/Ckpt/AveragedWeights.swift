/// The weights of a checkpoint's `/averaged_model` as a model state dict: each `module.<name>`
/// under `<name>`, without `n_averaged` (what `ckpt convert --averaged` exports and what
/// loads into the model, as `swa_model.module.state_dict()` in PyTorch).
public enum AveragedWeights {
    public static func modelStateDict(_ c: Checkpoint, file: String) throws -> StateDict {
        guard let a = c.averagedModel else {
            throw RunError.file(file, "/averaged_model: missing (the run kept no weight average; see \"averaging\" in docs/CONFIG.md)")
        }
        var out = StateDict()
        for (key, value) in a where key != "n_averaged" {
            guard key.hasPrefix("module.") else {
                throw RunError.file(file, "/averaged_model/\(key): expected `n_averaged` or `module.<name>`")
            }
            out[String(key.dropFirst("module.".count))] = value
        }
        return out
    }
}
