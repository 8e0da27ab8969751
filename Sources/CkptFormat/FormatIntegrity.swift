import CkptCore

/// What `verify` checks of a checkpoint's container, decided by the format layer for every
/// format alike, so the command has no per-format branches.
///
/// - A ckpt HDF5 file (`isNative`): format stamps, a manifest and a checksum per tensor;
///   the consistency checks run on the checkpoint as loaded.
/// - Any other format (a torch.save zip, a DCP or Hugging Face directory): `check` has
///   already verified the container (every zip entry's CRC-32; every DCP chunk and shard
///   read within its file), `summary` says what was checked, and `verifiable` gives the
///   checkpoint as the consistency checks expect a ckpt one (`TorchCheckpoint.verifiable`:
///   format stamps, param names from model order), with the problems that cannot apply to
///   such a file dropped and said in a warning instead.
public struct FormatIntegrity: Sendable {
    /// True for ckpt's own HDF5 format.
    public let isNative: Bool
    /// What the container check verified ("torch.save zip, 12 entries CRC-32 checked").
    public let summary: String
    /// Whether the model's tensors are in `model.parameters()` order, so an optimizer's param
    /// index k names the k-th tensor. False for Hugging Face weights (safetensors sorts them).
    var modelOrderKnown = true

    /// ckpt's own format: checked by its manifest and checksums when loaded.
    public static let native = FormatIntegrity(isNative: true, summary: "")

    /// Checks the container of `path` and says how to verify what it holds; throws the
    /// container's first problem.
    public static func check(_ path: String) throws -> FormatIntegrity {
        if TorchFile.isTorchFile(path) {
            let n = try TorchFile.checkEntries(path)
            return FormatIntegrity(isNative: false, summary: "torch.save zip, \(n) \(n == 1 ? "entry" : "entries") CRC-32 checked")
        }
        if let kind = CheckpointDirectories.kind(path) {
            let files = DirectoryMember.names(in: path).filter { !$0.hasPrefix(".") || $0 == ".metadata" }.count
            return FormatIntegrity(isNative: false, summary: "\(kind.rawValue) directory, \(files) files read", modelOrderKnown: kind != .huggingFace)
        }
        if SafetensorsCheckpoint.recognises(path) {
            return FormatIntegrity(isNative: false, summary: "safetensors header and offsets validated")
        }
        return .native
    }

    /// The checkpoint the consistency checks should see, warnings about what they cannot
    /// check, and which of their problems apply.
    public func verifiable(_ c: Checkpoint) -> (checkpoint: Checkpoint, warnings: [String], applies: @Sendable (VerifyProblem) -> Bool) {
        guard !isNative else { return (c, [], { _ in true }) }
        var (view, named) = TorchCheckpoint.verifiable(c)
        var warnings: [String] = []
        if !modelOrderKnown {
            (view, named) = (TorchCheckpoint.verifiable(Checkpoint(metadata: c.metadata, model: [:], optimizer: c.optimizer)).checkpoint, false)
            view.model = c.model
            view.scheduler = c.scheduler
            view.progress = c.progress
            view.rng = c.rng
            warnings.append("the model's tensors are stored by name, not in model.parameters() order, so the optimizer's parameters cannot be matched to them: state shapes are not checked against the model")
        } else if !named {
            warnings.append("the optimizer's parameters cannot be matched to model tensors by order (buffers or a subset of parameters): state shapes are not checked against the model")
        }
        if let s = view.scheduler, s["type"] == nil {
            // LambdaLR and MultiplicativeLR (Hugging Face's schedules) have no keys of their own.
            warnings.append("the scheduler's class cannot be told from its keys (LambdaLR or MultiplicativeLR, as Hugging Face's schedules are): its structure is not checked")
            view.scheduler = nil
        }
        let namesKnown = named
        return (view, warnings, { namesKnown || !$0.message.hasPrefix("param_names is missing") })
    }
}
